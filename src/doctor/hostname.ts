/**
 * Host name verification as VERIFY_IDENTITY clients do it (OpenSSL's X509_check_host /
 * X509_check_ip via node:crypto), explained: which names the certificate holds, which one matched,
 * and when none did, the usual reason (an IP address, `localhost`, a CNAME or alias, the port of
 * another instance).
 */

import type { X509Certificate } from 'node:crypto';
import dns from 'node:dns/promises';
import net from 'node:net';
import { commonName } from './chain.js';

export interface HostNameCheck {
  ok: boolean;
  /** Names in the certificate: `DNS:x`, `IP:1.2.3.4`, and `CN:x` when there is no SAN. */
  names: string[];
  /** The certificate name that matched. */
  matched: string | undefined;
  /** Why not, in one sentence, and what to do. */
  detail: string;
  fix: string | undefined;
  /** The mistake recognised, for JSON consumers. */
  cause: 'ok' | 'ip-address' | 'localhost' | 'cname' | 'alias' | 'other-endpoint' | 'other';
}

/** SAN entries as `DNS:x` / `IP:x`; the CN (as `CN:x`) when the certificate has no SAN. */
export function certificateNames(leaf: X509Certificate): string[] {
  const san = leaf.subjectAltName;
  if (san !== undefined && san !== '') {
    return san
      .split(', ')
      .map((s) => s.replace(/^IP Address:/, 'IP:'))
      .filter((s) => s.startsWith('DNS:') || s.startsWith('IP:'));
  }
  return [`CN:${commonName(leaf.subject)}`];
}

function dnsNames(names: readonly string[]): string[] {
  return names.filter((n) => n.startsWith('DNS:') || n.startsWith('CN:')).map((n) => n.slice(n.indexOf(':') + 1));
}

async function addressesOf(name: string): Promise<string[]> {
  try {
    return (await dns.lookup(name, { all: true })).map((a) => a.address);
  } catch {
    return []; // a certificate name that does not resolve here simply cannot be an alias of ours
  }
}

/**
 * Checks `host` (as the client was given it) against `leaf`. `addresses`/`cnames` are what the
 * name resolved to (probe.ts), used to recognise aliases. `isInstance` says whether a DB instance
 * of a given id exists (from the tlsql data dir), to tell another instance's endpoint from an alias.
 */
export async function checkHostName(
  host: string,
  leaf: X509Certificate,
  resolved: { addresses: readonly string[]; cnames: readonly string[] },
  opts: { isInstance?: (id: string) => boolean } = {},
): Promise<HostNameCheck> {
  const names = certificateNames(leaf);
  const shown = names.join(', ');
  const isIp = net.isIP(host) !== 0;
  const matched = isIp ? leaf.checkIP(host) : leaf.checkHost(host);
  if (matched !== undefined) {
    return { ok: true, names, matched, detail: `${host} matches ${isIp ? 'IP' : 'DNS'}:${matched} in the certificate`, fix: undefined, cause: 'ok' };
  }
  const dnsInCert = dnsNames(names);
  const first = dnsInCert[0];
  const useName = first !== undefined ? `connect with -h ${first}` : 'connect with a name the certificate holds';

  if (isIp) {
    return {
      ok: false,
      names,
      matched: undefined,
      cause: 'ip-address',
      detail: `you connected by IP address ${host}; the certificate holds ${shown} and no IP address, so every VERIFY_IDENTITY client refuses it`,
      fix: `${useName}: the endpoint name is what the certificate vouches for (mysql2 without a host name even checks "localhost")`,
    };
  }
  if (host.toLowerCase() === 'localhost') {
    return {
      ok: false,
      names,
      matched: undefined,
      cause: 'localhost',
      detail: `"localhost" is not in the certificate (${shown}); even when it reaches the same server, host name verification compares names, not addresses`,
      fix: useName,
    };
  }
  const cnameHit = resolved.cnames.map((c) => c.replace(/\.$/, '')).find((c) => dnsInCert.some((n) => n.toLowerCase() === c.toLowerCase()));
  if (cnameHit !== undefined) {
    return {
      ok: false,
      names,
      matched: undefined,
      cause: 'cname',
      detail: `${host} is a CNAME for ${cnameHit}; clients verify the name they were given, not the CNAME's target`,
      fix: `connect with -h ${cnameHit} (or, for a custom name, the server certificate would have to include ${host})`,
    };
  }
  for (const n of dnsInCert) {
    if (n.startsWith('*')) continue;
    const addrs = await addressesOf(n);
    if (addrs.length > 0 && addrs.some((a) => resolved.addresses.includes(a))) {
      const looksLikeEndpoint = /^[a-z][a-z0-9-]*\.[a-z0-9]{12}\.[a-z]{2}(-[a-z]+)+-\d\./.test(host);
      const id = host.split('.')[0] as string;
      // Another instance's endpoint when the name has the endpoint shape and (when tlsql's data dir
      // is at hand) an instance of that name exists; otherwise it is just another name.
      if (looksLikeEndpoint && /^[a-z][a-z0-9-]*\.[a-z0-9]{12}\.[a-z]{2}(-[a-z]+)+-\d\./.test(n) && (opts.isInstance?.(id) ?? true)) {
        return {
          ok: false,
          names,
          matched: undefined,
          cause: 'other-endpoint',
          detail: `this port serves ${n}, not ${host}: both names reach the same address, so the port belongs to another DB instance`,
          fix: `use ${host} with its own port (tlsql describe-db-instances --db-instance-identifier ${id} shows Endpoint.Port), or connect with -h ${n}`,
        };
      }
      return {
        ok: false,
        names,
        matched: undefined,
        cause: 'alias',
        detail: `${host} reaches the same address as ${n} (an alias: hosts entry, CNAME or DNS record), but it is not in the certificate`,
        fix: `connect with -h ${n}`,
      };
    }
  }
  return {
    ok: false,
    names,
    matched: undefined,
    cause: 'other',
    detail: `${host} is not in the certificate, which holds ${shown}`,
    fix: `check that ${host} is the right endpoint; ${useName}`,
  };
}
