/**
 * Recognises the account statements the front door cares about in a COM_QUERY, and rewrites the
 * one RDS syntax MariaDB cannot run: `IDENTIFIED WITH AWSAuthenticationPlugin [AS 'RDS']` (also
 * `IDENTIFIED VIA ... USING`, and inside an `OR` list as dumps write it) in CREATE USER and
 * ALTER USER. Everything else in the statement (IF NOT EXISTS, other accounts, REQUIRE SSL,
 * resource limits, comments) is forwarded byte for byte.
 *
 * Works on the raw bytes as Latin-1 (one character per byte) so unrecognised parts are never
 * re-encoded; names are decoded as UTF-8 from their bytes. Session settings the front door cannot
 * see (NO_BACKSLASH_ESCAPES, ANSI_QUOTES) could make it misread a name; the consequence is an
 * account whose password nobody knows (the engine has the final word), never a weaker one.
 */
import { IAM_PLUGIN } from '../iam/engine-accounts.js';

/** Quick test: does the text mention the plugin at all (case-insensitively)? */
export const MENTIONS_IAM_PLUGIN = /awsauthenticationplugin/i;
/**
 * Statements after which the engine's account list may differ: new, dropped, renamed or
 * re-authenticated accounts, and direct edits of the grant tables.
 */
export const CHANGES_ACCOUNTS = /\b(?:create|drop|rename|alter)\s+user\b|\bgrant\b|\bset\s+password\b|\bflush\s+privileges\b|\bglobal_priv\b|\bmysql\s*\.\s*`?user\b/i;

/**
 * Words of which a command must contain one (ASCII, any case) for the native relay to hold it for
 * the two tests above (session.ts inspect): every text either expression matches contains one, so
 * the prefilter never lets an account statement pass unseen, and ordinary queries stream on.
 */
export const INSPECT_KEYWORDS: readonly string[] = ['awsauthenticationplugin', 'user', 'grant', 'password', 'privileges', 'global_priv'];

interface Token {
  kind: 'word' | 'string' | 'ident' | 'punct';
  /** Byte offsets in the query text. */
  start: number;
  end: number;
  /** Words upper-cased; strings and identifiers unescaped (still Latin-1). */
  value: string;
  /** Words as written. */
  raw?: string;
}

/** An IAM account named by a rewritten statement, and where its authentication clause was. */
export interface IamAccountClause {
  user: string;
  host: string;
  /** Byte range of `IDENTIFIED ...` to replace. */
  start: number;
  end: number;
}

/**
 * Splits `sql` (Latin-1 view of the bytes) into tokens, skipping whitespace and comments. The
 * markers of executable comments (`/*!...`, `/*M!...`) are skipped but their content is
 * tokenised, since MariaDB runs it.
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /[\s\x00-\x1f]/.test(sql[i + 2]!)))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const exec = /^\/\*(?:M?!\d*)/.exec(sql.slice(i, i + 12));
      if (exec && (sql[i + 2] === '!' || sql[i + 2] === 'M')) {
        i += exec[0].length; // content is SQL; the closing */ is skipped below
      } else {
        const close = sql.indexOf('*/', i + 2);
        i = close < 0 ? n : close + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/') {
      i += 2; // end of an executable comment
    } else if (c === "'" || c === '"') {
      const start = i;
      let v = '';
      i++;
      while (i < n) {
        const d = sql[i]!;
        if (d === '\\' && i + 1 < n) {
          v += unescape(sql[i + 1]!);
          i += 2;
        } else if (d === c && sql[i + 1] === c) {
          v += c;
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ kind: 'string', start, end: i, value: v });
    } else if (c === '`') {
      const start = i;
      let v = '';
      i++;
      while (i < n) {
        if (sql[i] === '`' && sql[i + 1] === '`') {
          v += '`';
          i += 2;
        } else if (sql[i] === '`') {
          i++;
          break;
        } else v += sql[i++];
      }
      out.push({ kind: 'ident', start, end: i, value: v });
    } else if (/[A-Za-z0-9_$\x80-\xff]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_$\x80-\xff]/.test(sql[i]!)) i++;
      out.push({ kind: 'word', start, end: i, value: sql.slice(start, i).toUpperCase(), raw: sql.slice(start, i) });
    } else {
      out.push({ kind: 'punct', start: i, end: i + 1, value: c });
      i++;
    }
  }
  return out;
}

function unescape(c: string): string {
  switch (c) {
    case '0':
      return '\0';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'Z':
      return '\x1a';
    case '%':
      return '\\%';
    case '_':
      return '\\_';
    default:
      return c;
  }
}

/** Statements of a query, split at top-level semicolons. */
function statements(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.value === ';') out.push([]);
    else out[out.length - 1]!.push(t);
  }
  return out.filter((s) => s.length > 0);
}

const isWord = (t: Token | undefined, ...words: string[]): boolean => t?.kind === 'word' && words.includes(t.value);
const isPunct = (t: Token | undefined, p: string): boolean => t?.kind === 'punct' && t.value === p;
const latin1ToUtf8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');

/**
 * The IAM authentication clauses of CREATE USER / ALTER USER statements in `sql` (a Latin-1 view
 * of the COM_QUERY bytes). Accounts are returned with their user name decoded as UTF-8 and the
 * host lower-cased, as MariaDB stores them (no host means '%').
 */
export function findIamClauses(sql: string): IamAccountClause[] {
  const found: IamAccountClause[] = [];
  for (const st of statements(tokenize(sql))) {
    let i = 0;
    if (isWord(st[0], 'CREATE')) {
      i = 1;
      if (isWord(st[i], 'OR') && isWord(st[i + 1], 'REPLACE')) i += 2;
      if (!isWord(st[i], 'USER')) continue;
      i++;
      if (isWord(st[i], 'IF') && isWord(st[i + 1], 'NOT') && isWord(st[i + 2], 'EXISTS')) i += 3;
    } else if (isWord(st[0], 'ALTER') && isWord(st[1], 'USER')) {
      i = 2;
      if (isWord(st[i], 'IF') && isWord(st[i + 1], 'EXISTS')) i += 2;
    } else continue;
    // user_spec [, user_spec]...
    for (;;) {
      const account = readAccount(st, i);
      if (!account) break;
      i = account.next;
      if (isWord(st[i], 'IDENTIFIED')) {
        const auth = readAuth(st, i);
        if (!auth) break;
        if (auth.iam) found.push({ user: account.user, host: account.host, start: st[i]!.start, end: st[auth.next - 1]!.end });
        i = auth.next;
      }
      if (!isPunct(st[i], ',')) break;
      i++;
    }
  }
  return found;
}

function nameToken(t: Token | undefined): string | null {
  return t && (t.kind === 'string' || t.kind === 'ident') ? t.value : null;
}

/** `'user'[@'host']` (quoted, back-quoted or bare words). Null for CURRENT_USER or anything else. */
function readAccount(st: Token[], i: number): { user: string; host: string; next: number } | null {
  const t = st[i];
  if (!t) return null;
  let user: string | null;
  if (t.kind === 'word') {
    if (t.value === 'CURRENT_USER' || t.value === 'IDENTIFIED') return null;
    user = sqlSliceOriginal(t);
  } else user = nameToken(t);
  if (user === null) return null;
  let next = i + 1;
  let host = '%';
  if (isPunct(st[next], '@')) {
    const h = st[next + 1];
    if (!h) return null;
    host = h.kind === 'word' ? sqlSliceOriginal(h) : h.kind === 'string' || h.kind === 'ident' ? h.value : '';
    if (h.kind === 'punct') return null;
    next += 2;
  }
  return { user: latin1ToUtf8(user), host: latin1ToUtf8(host).toLowerCase(), next };
}

/** A bare word's original spelling (tokens keep words upper-cased). */
function sqlSliceOriginal(t: Token): string {
  return t.raw ?? t.value;
}

/**
 * `IDENTIFIED BY [PASSWORD] 'x'` or `IDENTIFIED {VIA|WITH} plugin [{USING|AS} {'s'|PASSWORD('s')}] [OR ...]`.
 * `iam` is true when one of the methods is AWSAuthenticationPlugin.
 */
function readAuth(st: Token[], i: number): { iam: boolean; next: number } | null {
  let j = i + 1;
  if (isWord(st[j], 'BY')) {
    j++;
    if (isWord(st[j], 'PASSWORD')) j++;
    if (st[j]?.kind !== 'string') return null;
    return { iam: false, next: j + 1 };
  }
  if (!isWord(st[j], 'VIA', 'WITH')) return null;
  j++;
  let iam = false;
  for (;;) {
    const p = st[j];
    if (!p || p.kind === 'punct') return null;
    const plugin = p.kind === 'word' ? sqlSliceOriginal(p) : p.value;
    if (plugin.toLowerCase() === IAM_PLUGIN.toLowerCase()) iam = true;
    j++;
    if (isWord(st[j], 'USING', 'AS')) {
      j++;
      if (st[j]?.kind === 'string') j++;
      else if (isWord(st[j], 'PASSWORD') && isPunct(st[j + 1], '(') && st[j + 2]?.kind === 'string' && isPunct(st[j + 3], ')')) j += 4;
      else return null;
    }
    if (isWord(st[j], 'OR')) {
      j++;
      continue;
    }
    return { iam, next: j };
  }
}

/**
 * Rewrites every IAM clause in `sql` with `replacement(clause)` and returns the new text (Latin-1
 * view) and the accounts, or null when there is nothing to rewrite.
 */
export function rewriteIamClauses(sql: string, replacement: (c: IamAccountClause) => string): { sql: string; accounts: IamAccountClause[] } | null {
  const clauses = findIamClauses(sql);
  if (clauses.length === 0) return null;
  let out = '';
  let last = 0;
  for (const c of clauses) {
    out += sql.slice(last, c.start) + replacement(c);
    last = c.end;
  }
  out += sql.slice(last);
  return { sql: out, accounts: clauses };
}
