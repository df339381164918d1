/**
 * The AWS CLI's `--output table`: a boxed table titled with the operation name, one section per
 * nested object or list, nested sections indented with `|`. Scalar members of an object become
 * one header row and one value row (sorted by key); a list of objects becomes a header row and
 * one row per element. When the widest section is wider than the terminal, sections with a
 * single row are turned into `key | value` rows, as the AWS CLI does.
 */

import { isScalar, isTruthy, pyStr, type CliValue } from './normalize.js';

type Obj = { [key: string]: CliValue };

class Section {
  title = '';
  headers: string[] = [];
  rows: string[][] = [];
  indent = 0;
  private cols: number | undefined;
  private maxWidths: number[] = [];

  addHeader(headers: string[]): void {
    this.updateWidths(headers);
    if (this.cols === undefined) this.cols = headers.length;
    this.headers = headers;
  }

  addRow(row: CliValue[]): void {
    if (this.cols === undefined) this.cols = row.length;
    if (row.length !== this.cols) throw new Error(`table row should have ${this.cols} elements, has ${row.length}`);
    const cells = row.map((c) => pyStr(c));
    this.rows.push(cells);
    this.updateWidths(cells);
  }

  private updateWidths(cells: string[]): void {
    if (this.maxWidths.length === 0) this.maxWidths = cells.map(textLength);
    else cells.forEach((c, i) => (this.maxWidths[i] = Math.max(textLength(c), this.maxWidths[i] ?? 0)));
  }

  /** Column widths with `padding` added, scaled so they sum to `maxWidth` when given. */
  columnWidths(padding = 0, maxWidth?: number): number[] {
    const unscaled = this.maxWidths.map((w) => w + padding);
    if (maxWidth === undefined || unscaled.length === 0) return unscaled;
    const sum = unscaled.reduce((a, b) => a + b, 0);
    const scale = maxWidth / sum;
    const scaled = unscaled.map((w) => roundHalfEven(scale * w));
    let off = scaled.reduce((a, b) => a + b, 0) - maxWidth;
    while (off !== 0) {
      const order = [...scaled.keys()];
      if (off < 0) order.reverse();
      for (const i of order) {
        if (off > 0) {
          scaled[i] = (scaled[i] as number) - 1;
          off--;
        } else {
          scaled[i] = (scaled[i] as number) + 1;
          off++;
        }
        if (off === 0) break;
      }
    }
    return scaled;
  }

  totalWidth(padding: number, outer: number): number {
    const border = 2;
    let total = this.columnWidths().reduce((a, w) => a + w + padding, 0) + border + 2 * outer;
    total = Math.max(textLength(this.title) + border + 2 * outer, total);
    return total;
  }
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Display width: East Asian wide and fullwidth characters count two columns. */
function textLength(s: string): number {
  let n = 0;
  for (const ch of s) n += isWide(ch.codePointAt(0) ?? 0) ? 2 : 1;
  return n;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function centerText(text: string, length: number, left: string, right: string): string {
  const tl = textLength(text);
  // As the AWS CLI: a negative start prints no spaces but still counts towards the right side.
  const start = Math.floor(length / 2) - Math.floor(tl / 2) - 1;
  const sofar = textLength(left) + start + tl;
  return left + ' '.repeat(Math.max(0, start)) + text + ' '.repeat(Math.max(0, length - textLength(right) - sofar)) + right;
}

function alignLeft(text: string, length: number, left: string, right: string): string {
  const tl = textLength(text);
  const padding = length - (tl + 2 + textLength(left) + textLength(right)) >= 0 ? 2 : 0;
  const sofar = left.length + padding + tl;
  return left + ' '.repeat(padding) + text + ' '.repeat(Math.max(0, length - sofar - right.length)) + right;
}

class TableBuilder {
  readonly sections: Section[] = [];
  private current: Section | undefined;

  newSection(title: string, indent: number): void {
    this.current = new Section();
    this.current.title = title;
    this.current.indent = indent;
    this.sections.push(this.current);
  }

  private section(): Section {
    if (!this.current) this.newSection('', 0);
    return this.current as Section;
  }

  build(title: string | null, value: CliValue, indent = 0): boolean {
    if (!isTruthy(value)) return false;
    if (title !== null) this.newSection(title, indent);
    if (Array.isArray(value)) {
      if (typeof value[0] === 'object' && value[0] !== null && !Array.isArray(value[0])) {
        this.fromList(value as Obj[], indent, title ?? '');
      } else {
        for (const item of value) {
          if (isScalar(item)) this.section().addRow([item]);
          else if (Array.isArray(item) && item.every((el) => isScalar(el))) this.section().addRow(item);
          else this.build(null, item);
        }
      }
    } else if (typeof value === 'object' && value !== null) {
      this.fromDict(value, indent);
    }
    return true;
  }

  private fromDict(obj: Obj, indent: number): void {
    const [headers, more] = groupScalarKeys(obj);
    if (headers.length === 1) {
      const h = headers[0] as string;
      this.section().addRow([h, obj[h] as CliValue]);
    } else if (headers.length > 0) {
      this.section().addHeader(headers);
      this.section().addRow(headers.map((k) => obj[k] as CliValue));
    }
    for (const key of more) this.build(key, obj[key] as CliValue, indent + 1);
  }

  private fromList(list: Obj[], indent: number, title: string): void {
    const headerSet = new Set<string>();
    const moreSet = new Set<string>();
    for (const item of list) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) continue;
      const [h, m] = groupScalarKeys(item);
      h.forEach((k) => headerSet.add(k));
      m.forEach((k) => moreSet.add(k));
    }
    const headers = [...headerSet].sort(codePointOrder);
    const more = [...moreSet].sort(codePointOrder);
    this.section().addHeader(headers);
    let first = true;
    for (const element of list) {
      const el: Obj = typeof element === 'object' && element !== null && !Array.isArray(element) ? element : {};
      if (!first && more.length > 0) {
        this.newSection(title, indent);
        this.section().addHeader(headers);
      }
      first = false;
      this.section().addRow(headers.map((h) => (Object.hasOwn(el, h) ? (el[h] as CliValue) : '')));
      for (const key of more) if (Object.hasOwn(el, key)) this.build(key, el[key] as CliValue, indent + 1);
    }
  }
}

function groupScalarKeys(obj: Obj): [string[], string[]] {
  const headers: string[] = [];
  const more: string[] = [];
  for (const [k, v] of Object.entries(obj)) (isScalar(v) ? headers : more).push(k);
  return [headers.sort(codePointOrder), more.sort(codePointOrder)];
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Turns every single-row section into `header | value` rows (AWS CLI's narrow-terminal layout). */
function toVertical(sections: Section[]): void {
  sections.forEach((s, i) => {
    if (s.rows.length === 1 && s.headers.length > 0) {
      const v = new Section();
      v.title = s.title;
      v.indent = s.indent;
      s.headers.forEach((h, j) => v.addRow([h, (s.rows[0] as string[])[j] ?? '']));
      sections[i] = v;
    }
  });
}

function render(sections: Section[], terminalWidth: number): string {
  const maxOf = () => Math.max(...sections.map((s) => s.totalWidth(4, s.indent)));
  let maxWidth = maxOf();
  if (maxWidth > terminalWidth) {
    toVertical(sections);
    maxWidth = maxOf();
  }
  const lines: string[] = ['-'.repeat(maxWidth)];
  for (const s of sections) {
    const bar = '|'.repeat(s.indent);
    const out = (line: string) => lines.push(bar + line + bar);
    const width = maxWidth - s.indent * 2;
    if (s.title) {
      out(centerText(s.title, width, '|', '|'));
      if (s.headers.length === 0 && s.rows.length === 0) out(`+${'-'.repeat(Math.max(0, width - 2))}+`);
    }
    const widths = s.columnWidths(4, width);
    const lineBreak = () => out(widths.map((w, i) => (i === 0 ? `+${'-'.repeat(Math.max(0, w - 2))}+` : `${'-'.repeat(Math.max(0, w - 1))}+`)).join(''));
    if (s.headers.length > 0) {
      lineBreak();
      out(s.headers.map((h, i) => centerText(h, widths[i] ?? 0, i === 0 ? '|' : '', '|')).join(''));
    }
    if (s.rows.length > 0 && widths.length > 0) {
      lineBreak();
      for (const row of s.rows) out(widths.map((w, i) => alignLeft(row[i] ?? '', w, i === 0 ? '|' : '', '|')).join(''));
      lineBreak();
    }
  }
  return lines.join('\n') + '\n';
}

/**
 * Renders `value` as the AWS CLI's table titled `title` (the operation name, e.g.
 * `DescribeDBInstances`). `terminalWidth` defaults to 80 (the AWS CLI's width when stdout is
 * not a terminal). Returns '' for an empty response.
 */
export function formatTable(title: string, value: CliValue, terminalWidth = 80): string {
  const builder = new TableBuilder();
  if (!builder.build(title, value)) return '';
  return render(builder.sections, terminalWidth);
}
