/**
 * Result output as the MySQL client prints it: bordered tables (interactive, `-t`), tab-separated
 * batch output with escaping (`-B`, non-terminal), and vertical rows (`\G`, `-E`), plus the
 * summary lines ("3 rows in set (0.00 sec)", "Query OK, 1 row affected").
 * Values are the server's text as received (mysql2 with typeCast off), never JS conversions.
 */

/** What the formatter needs of a column (a subset of mysql2's FieldPacket). */
export interface Column {
  name: string;
  /** MYSQL_TYPE_* number. */
  columnType: number;
  /** Collation id; 63 is binary. */
  characterSet: number;
}

/** A row as received: raw bytes or NULL per column. */
export type RawRow = ReadonlyArray<Buffer | null>;

export interface FormatOptions {
  /** Print binary strings as 0x... hex. */
  binaryAsHex: boolean;
}

const BINARY_CHARSET = 63;
/** MYSQL_TYPE_* values of string-like columns that may hold binary data. */
const BINARY_CAPABLE = new Set([15, 249, 250, 251, 252, 253, 254]);
const MYSQL_TYPE_TIMESTAMP = 7;
const MYSQL_TYPE_INT24 = 9;
const MYSQL_TYPE_YEAR = 13;
const MYSQL_TYPE_NEWDECIMAL = 246;

/** MySQL's IS_NUM: numeric columns are right-aligned in tables. */
export function isNumericType(t: number): boolean {
  return (t <= MYSQL_TYPE_INT24 && t !== MYSQL_TYPE_TIMESTAMP) || t === MYSQL_TYPE_YEAR || t === MYSQL_TYPE_NEWDECIMAL;
}

/** A value as text: `NULL`, hex for binary strings when asked, else UTF-8. */
export function cellText(v: Buffer | null, col: Column, o: FormatOptions): string {
  if (v === null) return 'NULL';
  if (o.binaryAsHex && col.characterSet === BINARY_CHARSET && BINARY_CAPABLE.has(col.columnType)) {
    return `0x${v.toString('hex').toUpperCase()}`;
  }
  return v.toString('utf8');
}

/** Terminal cells a string takes: East Asian wide and full-width characters take two. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (c === 0) continue;
    if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      w += 1;
      continue;
    }
    if (/\p{Mn}|\p{Me}/u.test(ch) || c === 0x200b) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf && c !== 0x303f) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

function pad(s: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(s)));
  return right ? fill + s : s + fill;
}

/** A bordered table like the MySQL monitor's. `columnNames: false` (-N) leaves the header out. */
export function formatTable(cols: readonly Column[], rows: readonly RawRow[], o: FormatOptions & { columnNames: boolean }): string {
  const texts = rows.map((r) => cols.map((c, i) => cellText(r[i] ?? null, c, o)));
  const widths = cols.map((c, i) => Math.max(o.columnNames ? displayWidth(c.name) : 0, ...texts.map((t) => displayWidth(t[i] as string)), o.columnNames ? 0 : 1));
  const sep = '+' + widths.map((w) => '-'.repeat(w + 2)).join('+') + '+\n';
  let out = sep;
  if (o.columnNames) {
    out += '| ' + cols.map((c, i) => pad(c.name, widths[i] as number, false)).join(' | ') + ' |\n' + sep;
  }
  for (const t of texts) {
    out += '| ' + t.map((v, i) => pad(v, widths[i] as number, isNumericType((cols[i] as Column).columnType))).join(' | ') + ' |\n';
  }
  if (texts.length > 0) out += sep;
  return out;
}

/** Batch escaping (what `-r/--raw` turns off): NUL, tab, newline and backslash. */
export function escapeBatch(s: string): string {
  return s.replace(/[\\\t\n\0]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\0'));
}

/** Tab-separated output, one row per line, header first unless `columnNames` is false. */
export function formatBatch(cols: readonly Column[], rows: readonly RawRow[], o: FormatOptions & { columnNames: boolean; raw: boolean }): string {
  let out = '';
  if (o.columnNames) out += cols.map((c) => c.name).join('\t') + '\n';
  for (const r of rows) {
    out += cols.map((c, i) => {
      const v = r[i] ?? null;
      const t = cellText(v, c, o);
      return o.raw || v === null ? t : escapeBatch(t);
    }).join('\t') + '\n';
  }
  return out;
}

/** `\G` output: a star line per row, then `name: value` lines with names right-aligned. */
export function formatVertical(cols: readonly Column[], rows: readonly RawRow[], o: FormatOptions): string {
  const width = Math.max(0, ...cols.map((c) => displayWidth(c.name)));
  let out = '';
  rows.forEach((r, n) => {
    out += `*************************** ${n + 1}. row ***************************\n`;
    cols.forEach((c, i) => {
      out += `${pad(c.name, width, true)}: ${cellText(r[i] ?? null, c, o)}\n`;
    });
  });
  return out;
}

/** `(0.01 sec)`, `(1 min 2.50 sec)`, as the MySQL client writes elapsed time. */
export function formatElapsed(ms: number): string {
  const sec = ms / 1000;
  if (sec < 60) return `(${sec.toFixed(2)} sec)`;
  const min = Math.floor(sec / 60);
  return `(${min} min ${(sec - min * 60).toFixed(2)} sec)`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `3 rows in set, 1 warning (0.00 sec)` / `Empty set (0.00 sec)`. */
export function rowsInSetLine(rowCount: number, warnings: number, ms: number): string {
  const w = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
  return rowCount === 0 ? `Empty set${w} ${formatElapsed(ms)}` : `${plural(rowCount, 'row')} in set${w} ${formatElapsed(ms)}`;
}

/** `Query OK, 1 row affected, 1 warning (0.01 sec)` and the server's info line when it sent one. */
export function queryOkLines(affectedRows: number, warnings: number, info: string, ms: number): string {
  const w = warnings > 0 ? `, ${plural(warnings, 'warning')}` : '';
  let out = `Query OK, ${plural(affectedRows, 'row')} affected${w} ${formatElapsed(ms)}\n`;
  if (info.trim() !== '') out += `${info.trim()}\n`;
  return out;
}
