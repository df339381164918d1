/**
 * A tiny streaming XML writer for RDS Query API responses: elements, escaped text and the RDS
 * timestamp format. Deliberately no parser and no dependency; responses are the only XML tlsql
 * writes.
 */

/** Characters XML 1.0 cannot carry at all (C0 controls except TAB, LF, CR; lone surrogates; U+FFFE/F). */
const invalidXmlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };

/**
 * Escapes element content. `\r` is written as a character reference because XML parsers
 * normalise a literal CR (and CRLF) to LF; characters XML cannot represent become U+FFFD rather
 * than producing a document the SDK refuses to parse.
 */
export function escapeXmlText(text: string): string {
  // Most values (identifiers, enums, dates) need nothing: one scan decides.
  if (!textNeedsEscaping.test(text)) return text;
  return text.replace(invalidXmlChars, '\uFFFD').replace(/[&<>\r]/g, (c) => entities[c] ?? c);
}

/** Any character escapeXmlText would change: markup, CR, and everything invalidXmlChars matches (surrogates checked there). */
const textNeedsEscaping = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

/** Escapes an attribute value; whitespace is referenced because parsers normalise it to spaces there. */
export function escapeXmlAttribute(text: string): string {
  return text.replace(invalidXmlChars, '\uFFFD').replace(/[&<>"'\r\n\t]/g, (c) => entities[c] ?? c);
}

/** RDS timestamps: ISO-8601 UTC with milliseconds, e.g. `2026-11-24T10:00:00.123Z`. */
export function formatTimestamp(d: Date): string {
  return d.toISOString();
}

/** A leaf value; `null`/`undefined` omit the element entirely (RDS omits unset members). */
export type XmlScalar = string | number | boolean | Date | null | undefined;

const validName = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Names already checked: a response repeats the same few dozen names thousands of times. */
const checkedNames = new Set<string>();

function assertName(name: string): void {
  if (checkedNames.has(name)) return;
  // Element names come from code, never from requests; a bad one is a programming error.
  if (!validName.test(name)) throw new Error(`invalid XML element name: ${name}`);
  if (checkedNames.size < 10_000) checkedNames.add(name);
}

/** The escaped text of a scalar. */
function scalarText(v: Exclude<XmlScalar, null | undefined>): string {
  if (typeof v === 'string') return escapeXmlText(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof Date) return formatTimestamp(v);
  if (!Number.isFinite(v)) throw new Error(`cannot write non-finite number ${v} to XML`);
  return String(v);
}

/**
 * Builds a document by appending to a buffer. Elements must be closed in order; `toString()`
 * refuses to return an unbalanced document.
 */
export class XmlWriter {
  // One string appended to: V8 builds it as a rope and flattens it once, faster than parts.join.
  private out = '';
  private readonly stack: string[] = [];

  /** Opens `<name attr="...">`. Attribute values are escaped. */
  open(name: string, attrs: Record<string, string> = {}): this {
    assertName(name);
    let tag = `<${name}`;
    for (const [k, v] of Object.entries(attrs)) {
      assertName(k.replace(/^xmlns:?/, 'xmlns'));
      tag += ` ${k}="${escapeXmlAttribute(v)}"`;
    }
    this.out += tag + '>';
    this.stack.push(name);
    return this;
  }

  /** Closes the innermost open element. */
  close(): this {
    const name = this.stack.pop();
    if (name === undefined) throw new Error('XmlWriter.close() with no open element');
    this.out += `</${name}>`;
    return this;
  }

  /** `<name>text</name>`, or nothing when `value` is null/undefined. */
  leaf(name: string, value: XmlScalar): this {
    if (value === null || value === undefined) return this;
    assertName(name);
    this.out += `<${name}>${scalarText(value)}</${name}>`;
    return this;
  }

  /** `<name>...</name>` with `body` writing the children. */
  element(name: string, body: (w: this) => void): this {
    this.open(name);
    body(this);
    return this.close();
  }

  /**
   * A wrapped list as the awsQuery protocol expects: `<name><member>..</member>...</name>`,
   * with `memberName` taken from the Smithy model (`member` when the model gives none).
   * An empty array writes `<name></name>` (the SDK reads it as `[]`); `undefined` omits it.
   */
  list<T>(name: string, memberName: string, items: readonly T[] | undefined, body: (w: this, item: T) => void): this {
    if (items === undefined) return this;
    this.open(name);
    for (const item of items) {
      this.open(memberName);
      body(this, item);
      this.close();
    }
    return this.close();
  }

  /** A wrapped list of scalars: `<name><memberName>v</memberName>...</name>`. */
  scalarList(name: string, memberName: string, items: readonly XmlScalar[] | undefined): this {
    if (items === undefined) return this;
    this.open(name);
    for (const item of items) this.leaf(memberName, item);
    return this.close();
  }

  toString(): string {
    if (this.stack.length > 0) throw new Error(`unclosed XML elements: ${this.stack.join(' > ')}`);
    return this.out;
  }
}
