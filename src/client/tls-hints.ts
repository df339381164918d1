/**
 * One-line hints for failed TLS verifications. The error Node gives ("unable to get local issuer
 * certificate", "Hostname/IP does not match certificate's altnames") says little; looking at the
 * certificate the server presents (the doctor's probe, a second connection that sends no
 * credentials) tells which bundle or name would have worked.
 */

import { readFileSync } from 'node:fs';
import { checkBundle, linkChain, parseBundle, type Bundle } from '../doctor/chain.js';
import { dataDirBundles, instanceLookup } from '../doctor/data-dir.js';
import { checkHostName } from '../doctor/hostname.js';
import { probe } from '../doctor/probe.js';
import type { SslMode } from './ssl-mode.js';

export interface TlsFailure {
  host: string;
  port: number;
  mode: SslMode;
  caFiles: readonly string[];
  /** Node's / mysql2's message. */
  message: string;
  dataDir: string | undefined;
}

/** A hint for a TLS failure, or undefined when nothing more specific than the error is known. */
export async function hintForTlsFailure(f: TlsFailure): Promise<string | undefined> {
  const doctor = `tlsql doctor ${f.host}:${f.port}${f.caFiles.length === 1 ? ` --ssl-ca=${f.caFiles[0]}` : ''} explains more`;
  let p;
  try {
    p = await probe(f.host, f.port, { timeoutMs: 5000 });
  } catch {
    return `${doctor}`;
  }
  const sent = p.tls.result?.sent ?? [];
  const { chain } = linkChain(sent);
  const leaf = chain[0];
  if (leaf === undefined) return doctor;

  if (/altname|hostname|host name|does not match/i.test(f.message)) {
    const hn = await checkHostName(f.host, leaf, p.resolution, instanceLookup(f.dataDir));
    if (!hn.ok) return `${hn.detail}; ${hn.fix ?? ''} (VERIFY_IDENTITY checks the name given with -h)`;
  }
  const now = new Date();
  if (/expired/i.test(f.message)) return `the server certificate "${leaf.subject.split('CN=').pop()}" is not valid now (valid ${leaf.validFrom} to ${leaf.validTo}); ${doctor}`;
  if (/not yet valid/i.test(f.message)) return `the server certificate is valid only from ${leaf.validFrom}: is this machine's clock behind?`;

  const bundles: Bundle[] = [];
  for (const file of f.caFiles) {
    try {
      bundles.push(parseBundle(file, readFileSync(file, 'utf8'), 'ssl-ca'));
    } catch {
      // unreadable files were reported when the connection was set up
    }
  }
  const checks = bundles.map((b) => checkBundle(chain, b, now)).filter((c) => c.verdict !== 'verifies');
  const good = dataDirBundles(f.dataDir).find((b) => checkBundle(chain, b, now).verdict === 'verifies');
  const use = good ? `; ${good.path} verifies this server` : '; download the current bundle with `tlsql download-bundle`';
  const first = checks[0];
  if (first !== undefined) return `${first.bundle.path} ${first.detail}${use}`;
  return doctor;
}
