/**
 * The AWS CLI's shorthand syntax for structures (`Name=engine,Values=mariadb,mysql`) and the
 * conversion of shorthand or JSON input to a structure of a known shape.
 *
 * Grammar (as the AWS CLI's):
 *   parameter = keyval *("," keyval)
 *   keyval    = key "=" [values]          key = 1*(ALPHA / DIGIT)
 *   values    = csv-list / "[" [value *("," value)] "]" / "{" keyval *("," keyval) "}"
 *   csv-list  = value *("," value)        a following "k=..." starts the next keyval
 *   value     = 'single quoted' / "double quoted" / unquoted (`\,` escapes a comma)
 */

import type { MemberType, StructureShape } from './options.js';

/** A parsed shorthand value: a scalar, a list (`csv` says it came from `a,b` rather than `[a,b]`), or a nested structure. */
export type ShorthandValue = string | ShorthandList | ShorthandStruct;
export interface ShorthandList {
  kind: 'list';
  items: ShorthandValue[];
  /** True for `k=a,b` (which a scalar member takes as the string `a,b`); false for `k=[a,b]`. */
  csv: boolean;
}
export interface ShorthandStruct {
  kind: 'struct';
  members: Record<string, ShorthandValue>;
}

/** Thrown for malformed shorthand or JSON; the parser turns it into a usage error naming the option. */
export class StructureSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StructureSyntaxError';
  }
}

/** Parses one shorthand expression into its key/value pairs. */
export function parseShorthand(text: string): Record<string, ShorthandValue> {
  return new ShorthandReader(text).parameter();
}

class ShorthandReader {
  private i = 0;
  constructor(private readonly s: string) {}

  parameter(): Record<string, ShorthandValue> {
    const out: Record<string, ShorthandValue> = {};
    this.keyval(out);
    while (!this.eof()) {
      this.expect(',');
      this.keyval(out);
    }
    return out;
  }

  private keyval(into: Record<string, ShorthandValue>): void {
    this.ws();
    const start = this.i;
    while (!this.eof() && /[A-Za-z0-9]/.test(this.cur())) this.i++;
    const key = this.s.slice(start, this.i);
    if (key === '') this.fail('a key');
    this.expect('=');
    if (Object.hasOwn(into, key)) throw new StructureSyntaxError(`key ${key} is given more than once in: ${this.s}`);
    into[key] = this.values();
  }

  private values(): ShorthandValue {
    this.ws();
    if (this.eof()) return '';
    if (this.cur() === '[') return this.explicitList();
    if (this.cur() === '{') return this.hash();
    return this.csv();
  }

  private csv(): ShorthandValue {
    const first = this.value(',');
    this.ws();
    if (this.eof() || this.cur() !== ',') return first;
    const items: ShorthandValue[] = [first];
    // Further comma-separated values belong to this key until one looks like `key=`.
    for (;;) {
      const comma = this.i;
      this.i++; // ','
      this.ws();
      if (this.eof() || this.looksLikeKeyval()) {
        this.i = comma;
        break;
      }
      items.push(this.value(','));
      this.ws();
      if (this.eof() || this.cur() !== ',') break;
    }
    return items.length === 1 ? first : { kind: 'list', items, csv: true };
  }

  private looksLikeKeyval(): boolean {
    return /^[A-Za-z0-9]+\s*=/.test(this.s.slice(this.i));
  }

  private explicitList(): ShorthandList {
    this.expect('[');
    const items: ShorthandValue[] = [];
    this.ws();
    while (this.cur() !== ']') {
      if (this.eof()) this.fail(']');
      if (this.cur() === '[') items.push(this.explicitList());
      else if (this.cur() === '{') items.push(this.hash());
      else items.push(this.value(',]'));
      this.ws();
      if (this.cur() !== ']') this.expect(',');
    }
    this.expect(']');
    return { kind: 'list', items, csv: false };
  }

  private hash(): ShorthandStruct {
    this.expect('{');
    const members: Record<string, ShorthandValue> = {};
    this.ws();
    while (this.cur() !== '}') {
      if (this.eof()) this.fail('}');
      const start = this.i;
      while (!this.eof() && /[A-Za-z0-9]/.test(this.cur())) this.i++;
      const key = this.s.slice(start, this.i);
      if (key === '') this.fail('a key');
      this.expect('=');
      this.ws();
      if (this.cur() === '[') members[key] = this.explicitList();
      else if (this.cur() === '{') members[key] = this.hash();
      else members[key] = this.value(',}');
      this.ws();
      if (this.cur() !== '}') this.expect(',');
    }
    this.expect('}');
    return { kind: 'struct', members };
  }

  /** A quoted value, or unquoted characters up to one of `stops` (unescaped), trimmed. */
  private value(stops: string): string {
    const q = this.cur();
    if (q === "'" || q === '"') {
      this.i++;
      let out = '';
      for (;;) {
        if (this.eof()) this.fail(q);
        const c = this.cur();
        if (c === '\\' && (this.s[this.i + 1] === q || this.s[this.i + 1] === '\\')) {
          out += this.s[this.i + 1];
          this.i += 2;
        } else if (c === q) {
          this.i++;
          return out;
        } else {
          out += c;
          this.i++;
        }
      }
    }
    let out = '';
    while (!this.eof()) {
      const c = this.cur();
      if (c === '\\' && this.s[this.i + 1] === ',') {
        out += ',';
        this.i += 2;
        continue;
      }
      if (stops.includes(c)) break;
      out += c;
      this.i++;
    }
    return out.trim();
  }

  private expect(c: string): void {
    this.ws();
    if (this.cur() !== c) this.fail(c);
    this.i++;
    this.ws();
  }

  private fail(expected: string): never {
    const got = this.eof() ? 'EOF' : this.cur();
    throw new StructureSyntaxError(`expected '${expected}', received '${got}' for input:\n${this.s}\n${' '.repeat(this.i)}^`);
  }

  private ws(): void {
    while (!this.eof() && /\s/.test(this.cur())) this.i++;
  }

  private cur(): string {
    return this.s[this.i] ?? '';
  }

  private eof(): boolean {
    return this.i >= this.s.length;
  }
}

/**
 * Converts one structure given in shorthand or as a parsed JSON object to `shape`: keys must be
 * members of the shape; scalars become one-element lists where the member is a list; `a,b` given
 * to a string member is the string `a,b` (so `ParameterValue=TLSv1.2,TLSv1.3` works unquoted).
 */
export function toStructure(input: Record<string, unknown>, shape: StructureShape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    const type = shape[key];
    if (type === undefined) {
      throw new StructureSyntaxError(`unknown key ${key}; valid keys are: ${Object.keys(shape).join(', ')}`);
    }
    out[key] = convertMember(key, raw, type);
  }
  return out;
}

function convertMember(key: string, raw: unknown, type: MemberType): unknown {
  const scalar = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (isList(v) && v.csv) return v.items.map(scalar).join(',');
    throw new StructureSyntaxError(`${key} must be a single value`);
  };
  switch (type) {
    case 'string':
      return scalar(raw);
    case 'string-list': {
      const items = isList(raw) ? raw.items : Array.isArray(raw) ? raw : [raw];
      return items.map((v) => {
        if (typeof v === 'string') return v;
        if (typeof v === 'number' || typeof v === 'boolean') return String(v);
        throw new StructureSyntaxError(`${key} must be a list of strings`);
      });
    }
    case 'integer': {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return raw;
      const s = scalar(raw);
      if (!/^[+-]?\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new StructureSyntaxError(`${key} must be an integer, got '${s}'`);
      return Number(s);
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = scalar(raw).toLowerCase();
      if (s === 'true') return true;
      if (s === 'false') return false;
      throw new StructureSyntaxError(`${key} must be true or false, got '${s}'`);
    }
  }
}

function isList(v: unknown): v is ShorthandList {
  return typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'list';
}
