/**
 * The one command-line parser, driven by option specs. It accepts what the AWS CLI accepts:
 * `--name value` and `--name=value`, `--flag` / `--no-flag`, lists as several tokens, comma
 * lists or JSON, structures in shorthand or JSON, and `file://path` for any value.
 */

import { UsageError } from './errors.js';
import { camelCase, type OptionSpec } from './options.js';
import { parseShorthand, StructureSyntaxError, toStructure } from './shorthand.js';

export interface ParsedOptions {
  /** Values by camelCase option name; only options that were given. */
  values: Record<string, unknown>;
  /** `--help`, `-h` or a bare `help` was given; required options are then not checked. */
  help: boolean;
}

export interface ParseContext {
  /** Command named in error messages (`unknown option --foo for <command>`). */
  command: string;
  /** Reads a `file://` value. Default: none (then `file://` values are a usage error). */
  loadFile?: (path: string) => string;
}

/**
 * Parses `tokens` against `specs`. Throws UsageError (exit 252) for unknown options, missing
 * or malformed values, stray positional arguments and missing required options.
 */
export function parseOptions(tokens: readonly string[], specs: readonly OptionSpec[], ctx: ParseContext): ParsedOptions {
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) if (!byName.has(s.name)) byName.set(s.name, s);
  const values: Record<string, unknown> = {};
  const seen = new Set<string>();
  let help = false;
  const stray: string[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    if (token === '--help' || token === '-h' || token === 'help') {
      help = true;
      continue;
    }
    if (!token.startsWith('--') || token === '--') {
      stray.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const name = token.slice(2, eq === -1 ? undefined : eq);
    const inline = eq === -1 ? undefined : token.slice(eq + 1);
    let spec = byName.get(name);
    let negated = false;
    if (spec === undefined && name.startsWith('no-')) {
      const positive = byName.get(name.slice(3));
      if (positive?.type === 'boolean') {
        spec = positive;
        negated = true;
      }
    }
    if (spec === undefined) throw new UsageError(`unknown option --${name} for ${ctx.command}`, ctx.command);
    const key = camelCase(spec.name);
    if (seen.has(spec.name)) throw new UsageError(`argument --${spec.name}: given more than once`, ctx.command);
    seen.add(spec.name);

    if (spec.type === 'boolean') {
      if (inline !== undefined) {
        if (negated || !/^(true|false)$/i.test(inline)) {
          throw new UsageError(`argument --${name}: takes no value (use --${spec.name} or --no-${spec.name})`, ctx.command);
        }
        values[key] = inline.toLowerCase() === 'true';
      } else {
        values[key] = !negated;
      }
      continue;
    }

    const raw: string[] = [];
    if (inline !== undefined) raw.push(inline);
    else if (spec.type === 'string-list' || spec.type === 'structure-list') {
      while (i + 1 < tokens.length && !(tokens[i + 1] as string).startsWith('--')) raw.push(tokens[++i] as string);
    } else if (i + 1 < tokens.length && !(tokens[i + 1] as string).startsWith('--')) {
      raw.push(tokens[++i] as string);
    }
    if (raw.length === 0) {
      throw new UsageError(
        `argument --${spec.name}: expected ${spec.type.endsWith('list') ? 'at least one argument' : 'one argument'}`,
        ctx.command,
      );
    }
    values[key] = convertValue(spec, raw.map((r) => resolveFileValue(spec, r, ctx)), ctx.command);
  }

  if (!help && stray.length > 0) throw new UsageError(`unrecognized arguments: ${stray.join(' ')}`, ctx.command);
  if (!help) {
    const missing = specs.filter((s) => s.required && !seen.has(s.name)).map((s) => `--${s.name}`);
    if (missing.length > 0) throw new UsageError(`the following arguments are required: ${missing.join(', ')}`, ctx.command);
  }
  return { values, help };
}

function resolveFileValue(spec: OptionSpec, raw: string, ctx: ParseContext): string {
  if (!raw.startsWith('file://')) return raw;
  if (!ctx.loadFile) throw new UsageError(`argument --${spec.name}: file:// values are not supported here`, ctx.command);
  const path = raw.slice('file://'.length);
  try {
    return ctx.loadFile(path);
  } catch (e) {
    throw new UsageError(`Error parsing parameter '--${spec.name}': Unable to load paramfile ${raw}: ${(e as Error).message}`, ctx.command);
  }
}

function convertValue(spec: OptionSpec, raw: string[], command: string): unknown {
  const bad = (why: string): never => {
    throw new UsageError(`Error parsing parameter '--${spec.name}': ${why}`, command);
  };
  const one = raw[0] as string;
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(one)) {
        throw new UsageError(`argument --${spec.name}: Invalid choice '${one}', valid choices are: ${spec.choices.join(' | ')}`, command);
      }
      return one;
    case 'integer': {
      const t = one.trim();
      if (!/^[+-]?\d+$/.test(t) || !Number.isSafeInteger(Number(t))) {
        throw new UsageError(`argument --${spec.name}: invalid integer value: '${one}'`, command);
      }
      return Number(t);
    }
    case 'timestamp':
      return parseTimestamp(one) ?? bad(`invalid timestamp '${one}' (use ISO 8601, e.g. 2026-01-02T03:04:05Z, or epoch seconds)`);
    case 'string-list': {
      if (raw.length === 1 && one.trim().startsWith('[')) {
        const parsed = parseJson(one, bad);
        if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string')) bad('expected a JSON array of strings');
        return parsed;
      }
      return raw.flatMap((r) => splitCommaList(r));
    }
    case 'structure-list': {
      const shape = spec.structure ?? {};
      const out: Record<string, unknown>[] = [];
      for (const r of raw) {
        const t = r.trim();
        try {
          if (t.startsWith('[') || t.startsWith('{')) {
            const parsed = parseJson(t, bad);
            const items = Array.isArray(parsed) ? parsed : [parsed];
            for (const item of items) {
              if (typeof item !== 'object' || item === null || Array.isArray(item)) bad('expected a JSON object or an array of objects');
              out.push(toStructure(item as Record<string, unknown>, shape));
            }
          } else {
            out.push(toStructure(parseShorthand(t), shape));
          }
        } catch (e) {
          if (e instanceof StructureSyntaxError) bad(e.message);
          throw e;
        }
      }
      return out;
    }
    case 'boolean':
      return true;
  }
}

function parseJson(text: string, bad: (why: string) => never): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    return bad(`Invalid JSON: ${(e as Error).message}\nJSON received: ${text}`);
  }
}

/** `a,b` -> [a, b]; `\,` keeps a comma; empty items are dropped. */
function splitCommaList(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '\\' && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((x) => x !== '');
}

/** ISO 8601 (a date alone means midnight UTC) or epoch seconds; null when neither. */
export function parseTimestamp(s: string): Date | null {
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return new Date(Number(t) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  // A time without a zone is UTC, as the AWS CLI reads it.
  const withZone = /T.*(Z|[+-]\d{2}:?\d{2})$/i.test(t) || !t.includes('T') ? t : `${t}Z`;
  const d = new Date(withZone);
  return Number.isNaN(d.getTime()) ? null : d;
}
