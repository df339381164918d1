/**
 * Which account MariaDB picks for a login, reproduced so the front door routes a login to the
 * token check exactly when the engine would authenticate it as an IAM account. Follows MariaDB
 * 10.11's sql_acl.cc: accounts of the login's user name sorted by host specificity
 * (get_magic_sort), the first whose host pattern matches wins; an anonymous account ('') wins
 * only with a strictly more specific host. With skip-name-resolve, hosts that would need DNS are
 * ignored. A front-door session matches host patterns against the host name `localhost` (MariaDB
 * keeps it for a socket connection with a PROXY header) and the client's IP.
 *
 * A wrong answer here can only refuse a login, never grant one: the engine still decides, and an
 * IAM account's password is known to tlsql alone.
 */

/** MariaDB 10.11's HOSTNAME_LENGTH (the width of mysql.global_priv.Host). */
const MAX_HOSTNAME_LENGTH = 255;

/** An account as the matcher needs it. */
export interface MatchableAccount {
  user: string;
  host: string;
}

interface Entry<A> {
  account: A;
  sort: number;
  ip: number | null;
  mask: number | null;
}

/** Accounts indexed for login lookups; build once per refresh of the engine's account list. */
export class AccountIndex<A extends MatchableAccount> {
  private readonly byUser = new Map<string, Entry<A>[]>();
  private readonly anonymous: Entry<A>[] = [];

  constructor(accounts: readonly A[]) {
    for (const a of accounts) {
      if (hostRequiresResolving(a.host)) continue;
      const host = a.host === '' ? '%' : a.host;
      const masked = parseMaskedIp(host);
      const e: Entry<A> = { account: a, sort: hostMagic(host) * 2 + (a.user === '' ? 1 : 0), ip: masked?.ip ?? null, mask: masked?.mask ?? null };
      if (a.user === '') this.anonymous.push(e);
      else {
        const list = this.byUser.get(a.user) ?? [];
        list.push(e);
        this.byUser.set(a.user, list);
      }
    }
    const order = (x: Entry<A>, y: Entry<A>) => x.sort - y.sort || (x.account.host < y.account.host ? 1 : x.account.host > y.account.host ? -1 : 0);
    for (const list of this.byUser.values()) list.sort(order);
    this.anonymous.sort(order);
  }

  /** True when some account has this exact user name (cheap pre-check before `match`). */
  hasUser(user: string): boolean {
    return this.byUser.has(user);
  }

  /** The account MariaDB would authenticate `user` from `ip` as, or null when none matches. */
  match(user: string, ip: string, hostname = 'localhost'): A | null {
    let found: Entry<A> | null = null;
    for (const e of this.byUser.get(user) ?? []) {
      if (this.hostMatches(e, hostname, ip)) {
        found = e;
        break;
      }
    }
    for (const e of this.anonymous) {
      // Sorted most specific first (smallest `sort` here, since specificity is inverted below).
      if (found && e.sort >= found.sort) break;
      if (this.hostMatches(e, hostname, ip)) {
        found = e;
        break;
      }
    }
    return found?.account ?? null;
  }

  private hostMatches(e: Entry<A>, hostname: string, ip: string): boolean {
    if (e.mask !== null && e.ip !== null) {
      const n = ipv4Number(ip);
      if (n !== null) return ((n & e.mask) >>> 0) === e.ip;
    }
    const pattern = e.account.host === '' ? '%' : e.account.host;
    return wildMatch(hostname, pattern, true) || wildMatch(ip, pattern, false);
  }
}

/**
 * get_magic_sort for one host pattern, inverted so that smaller means more specific (MariaDB
 * returns ~sort and sorts descending). N literal characters, M `_`, K runs of `%`, P the literal
 * prefix before the first wildcard.
 */
export function hostMagic(pattern: string): number {
  let N = 0;
  let M = 0;
  let K = 0;
  let P = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '%') {
      if (!K && !M) P = N;
      K++;
      while (pattern[i + 1] === '%') i++;
      continue;
    }
    if (c === '_') {
      if (!K && !M) P = N;
      M++;
      continue;
    }
    if (c === '\\' && i + 1 < pattern.length) i++;
    N++;
  }
  const L = K ? Math.max(0, MAX_HOSTNAME_LENGTH - N - M) : 0;
  const d = MAX_HOSTNAME_LENGTH + 1;
  // Larger = more generic in MariaDB's own magic number.
  return L > M ? (((L * 2 + 1) * d + K) * d + M) * d + P : ((M * 2 * d + L) * d + K) * d + P;
}

/** MariaDB's wild_compare / wild_case_compare: `%` any run, `_` one character, `\` escapes. */
export function wildMatch(str: string, pattern: string, ignoreCase: boolean): boolean {
  const s = ignoreCase ? str.toLowerCase() : str;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (p.length + 1) + j;
    const cached = memo.get(key);
    if (cached !== undefined) return cached;
    let r: boolean;
    if (j === p.length) r = i === s.length;
    else if (p[j] === '%') r = go(i, j + 1) || (i < s.length && go(i + 1, j));
    else if (p[j] === '_') r = i < s.length && go(i + 1, j + 1);
    else {
      let jj = j;
      if (p[jj] === '\\' && jj + 1 < p.length) jj++;
      r = i < s.length && s[i] === p[jj] && go(i + 1, jj + 1);
    }
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/** `a.b.c.d/m.m.m.m` (IPv4 with netmask), as calc_ip parses it; null otherwise. */
function parseMaskedIp(host: string): { ip: number; mask: number } | null {
  const slash = host.indexOf('/');
  if (slash < 0) return null;
  const ip = ipv4Number(host.slice(0, slash));
  const mask = ipv4Number(host.slice(slash + 1));
  return ip === null || mask === null ? null : { ip, mask };
}

function ipv4Number(s: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((x) => x > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** hostname_requires_resolving(): a name other than localhost that is not an IP, pattern or network. */
export function hostRequiresResolving(host: string): boolean {
  if (host === '' || host.toLowerCase() === 'localhost') return false;
  if (/[:%_/]/.test(host)) return false;
  return !/^[\d.]+$/.test(host);
}
