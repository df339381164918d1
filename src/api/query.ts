/**
 * awsQuery request codec: the flattened `a.b.N.c=v` form parameters the SDKs send, parsed into a
 * tree and read through typed accessors that raise RDS protocol errors (MissingParameter,
 * InvalidParameterValue) naming the full flattened parameter.
 *
 * Only protocol-level checks live here (presence, type syntax). Whether a value is acceptable
 * (identifier rules, engine names, ...) is the control plane's job.
 */
import { AppError } from '../errors/app-error.js';

/** One node of the parameter tree. `value` is set when the flattened key ends here. */
export interface QueryNode {
  value?: string;
  children: Map<string, QueryNode>;
}

function newNode(): QueryNode {
  return { children: new Map() };
}

/**
 * Parses `application/x-www-form-urlencoded` text (a request body or a URL query string) into a
 * tree: `Filters.Filter.1.Values.Value.2=x` becomes root > Filters > Filter > 1 > Values > Value > 2
 * with value `x`. A repeated key keeps its last value. Keys are case-sensitive, as in AWS.
 */
export function parseQueryString(text: string, into: QueryNode = newNode()): QueryNode {
  for (const [key, value] of new URLSearchParams(text)) {
    if (key === '') continue;
    let node = into;
    for (const part of key.split('.')) {
      let next = node.children.get(part);
      if (!next) {
        next = newNode();
        node.children.set(part, next);
      }
      node = next;
    }
    node.value = value;
  }
  return into;
}

const integerSyntax = /^[+-]?\d{1,10}$/;
const int32Max = 2 ** 31 - 1;
const int32Min = -(2 ** 31);
/** ISO-8601 date-time as the SDKs write it (`2026-01-01T00:00:00Z`, optional fraction/offset). */
const isoTimestamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const epochSeconds = /^\d{1,12}(\.\d{1,9})?$/;

function invalid(param: string, value: string, expected: string): AppError {
  return new AppError('InvalidParameterValue', `Invalid value '${value}' for ${param}: must be ${expected}.`, { details: { param } });
}

/**
 * Typed, read-only access to (a subtree of) the request parameters. `prefix` is the flattened
 * path of this subtree, used only to name parameters in error messages.
 */
export class QueryReader {
  constructor(
    private readonly node: QueryNode,
    private readonly prefix = '',
  ) {}

  /** Parses a form body into a reader over its root. */
  static parse(text: string): QueryReader {
    return new QueryReader(parseQueryString(text));
  }

  private path(name: string): string {
    return this.prefix + name;
  }

  private child(name: string): QueryNode | undefined {
    return this.node.children.get(name);
  }

  /** Top-level parameter names present under this subtree (for logs; never values). */
  names(): string[] {
    return [...this.node.children.keys()];
  }

  /** Whether the parameter (as a value or as a structure) was sent at all. */
  has(name: string): boolean {
    return this.node.children.has(name);
  }

  /** The raw string value, or undefined when absent. An empty value is returned as ''. */
  string(name: string): string | undefined {
    return this.child(name)?.value;
  }

  /** Like `string`, but a missing parameter is a `MissingParameter` fault naming it. */
  requiredString(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw missingParameter(this.path(name));
    return v;
  }

  /** `true`/`false` (case-insensitive, as the AWS services accept); anything else is InvalidParameterValue. */
  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const lower = v.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw invalid(this.path(name), v, 'a boolean (true or false)');
  }

  /** A 32-bit signed integer (the RDS model's `Integer`); anything else is InvalidParameterValue. */
  integer(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = integerSyntax.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n > int32Max || n < int32Min) throw invalid(this.path(name), v, 'an integer');
    return n;
  }

  /** ISO-8601 date-time (what the SDKs and the CLI send) or epoch seconds. */
  timestamp(name: string): Date | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    let ms = NaN;
    if (isoTimestamp.test(v)) ms = Date.parse(v);
    else if (epochSeconds.test(v)) ms = Number(v) * 1000;
    if (!Number.isFinite(ms)) throw invalid(this.path(name), v, 'an ISO-8601 timestamp');
    return new Date(ms);
  }

  /** One of the given values; anything else is InvalidParameterValue listing them. */
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(v)) throw invalid(this.path(name), v, `one of ${allowed.join(', ')}`);
    return v as T;
  }

  /** Like `oneOf`, but a missing parameter is a `MissingParameter` fault naming it. */
  requiredOneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.oneOf(name, allowed);
    if (v === undefined) throw missingParameter(this.path(name));
    return v;
  }

  /**
   * A list of structures sent as `Name.Member.N.*` (N from 1). Returns undefined when absent and
   * [] for an explicitly empty list (`Name=`, which the SDK sends for `[]`). Entries come back in
   * index order; gaps are tolerated. `member` is the list's member name from the RDS model; the
   * protocol default `member` is accepted too.
   */
  list(name: string, member: string): QueryReader[] | undefined {
    const node = this.child(name);
    if (!node) return undefined;
    const memberNode = node.children.get(member) ?? node.children.get('member');
    if (!memberNode) {
      if (node.children.size === 0) return [];
      const sent = [...node.children.keys()][0] ?? '';
      throw new AppError('InvalidParameterValue', `Invalid list parameter ${this.path(name)}.${sent}: expected ${this.path(name)}.${member}.N.`, {
        details: { param: this.path(name) },
      });
    }
    const memberName = node.children.has(member) ? member : 'member';
    const entries: Array<[number, QueryNode]> = [];
    for (const [idx, child] of memberNode.children) {
      const n = /^[1-9]\d{0,5}$/.test(idx) ? Number(idx) : NaN;
      if (Number.isNaN(n)) {
        throw new AppError('InvalidParameterValue', `Invalid list index '${idx}' in ${this.path(name)}.${memberName}: must be a positive integer.`, {
          details: { param: this.path(name) },
        });
      }
      entries.push([n, child]);
    }
    entries.sort((a, b) => a[0] - b[0]);
    return entries.map(([n, child]) => new QueryReader(child, `${this.path(name)}.${memberName}.${n}.`));
  }

  /** A list of strings sent as `Name.Member.N=v`. Undefined when absent; [] when sent empty. */
  stringList(name: string, member: string): string[] | undefined {
    const items = this.list(name, member);
    if (items === undefined) return undefined;
    return items.map((r) => {
      const v = r.node.value;
      if (v === undefined) throw missingParameter(r.prefix.replace(/\.$/, ''));
      return v;
    });
  }

  /** A nested structure `Name.*`, or undefined when absent. */
  struct(name: string): QueryReader | undefined {
    const node = this.child(name);
    return node ? new QueryReader(node, `${this.path(name)}.`) : undefined;
  }
}

/** The RDS wording for an absent required parameter. */
export function missingParameter(name: string): AppError {
  return new AppError('MissingParameter', `The request must contain the parameter ${name}`, { details: { param: name } });
}
