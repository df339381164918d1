import { X509Certificate, createPrivateKey } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import { splitPemCertificates } from './inspect.js';

/**
 * Checks, without a network round trip, what a verifying client will check in the handshake:
 * the key matches the leaf, the leaf carries `hostname`, every certificate is within its validity
 * at `now`, each signature chains leaf -> intermediates -> one of the roots in `trustedPem`.
 * Synchronous (a few milliseconds even for RSA-4096), so it can sit on the path of a rotation
 * before the swap; the real handshake against the live endpoint comes after the swap.
 * Throws AppError InternalFailure naming the failed check.
 */
export function verifyChainOffline(p: { chainPem: string; keyPem: string; hostname: string; trustedPem: string; now: Date }): void {
  const fail = (why: string, cause?: unknown) => new AppError('InternalFailure', `certificate for ${p.hostname} would fail clients: ${why}`, { cause, expose: false });
  let chain: X509Certificate[];
  let roots: X509Certificate[];
  try {
    chain = splitPemCertificates(p.chainPem).map((pem) => new X509Certificate(pem));
    roots = splitPemCertificates(p.trustedPem).map((pem) => new X509Certificate(pem));
  } catch (e) {
    throw fail('unparseable certificate', e);
  }
  const leaf = chain[0];
  if (!leaf) throw fail('empty chain');
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(p.keyPem))) throw fail('the private key does not match the certificate');
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw fail('unusable private key', e);
  }
  // Node's checkHost follows RFC 6125 as tls.checkServerIdentity does (SAN dNSName first).
  if (leaf.checkHost(p.hostname, { subject: 'never' }) === undefined) throw fail(`no subjectAltName matches ${p.hostname}`);
  const at = p.now.getTime();
  for (const c of chain) {
    if (Date.parse(c.validFrom) > at || Date.parse(c.validTo) < at) throw fail(`${c.subject.replace(/\n/g, ', ')} is not valid at ${p.now.toISOString()} (${c.validFrom} - ${c.validTo})`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) throw fail(`certificate ${i} is not signed by certificate ${i + 1} of the chain`);
  }
  const top = chain[chain.length - 1]!;
  const anchored = roots.some((r) => (top.fingerprint256 === r.fingerprint256 || (top.checkIssued(r) && top.verify(r.publicKey))) && Date.parse(r.validTo) >= at);
  if (!anchored) throw fail('the chain does not lead to a root in the bundle clients trust');
}
