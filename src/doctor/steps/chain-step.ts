import type { X509Certificate } from 'node:crypto';
import { commonName, issuingIntermediate, regionOfCa, type BundleCheck } from '../chain.js';
import { formatDate, type Diagnosis, type DoctorStep } from '../diagnosis.js';
import type { TlsProbe } from '../probe.js';

function describeCert(c: X509Certificate, i: number): string {
  const san = c.subjectAltName ? `  names ${c.subjectAltName.replace(/IP Address:/g, 'IP:')}` : '';
  return `#${i} "${commonName(c.subject)}" issued by "${commonName(c.issuer)}", valid ${formatDate(c.validFrom)} to ${formatDate(c.validTo)}${san}`;
}

/** The certificates, the verdict of every bundle and of the system trust store, one line each. */
function chainDetails(d: Diagnosis, t: TlsProbe): string[] {
  const { chain, sentRoot, anchorCert } = d;
  const details = chain.map(describeCert);
  if (sentRoot !== undefined) details.push(`the server also sent its root "${commonName(sentRoot.subject)}" (clients never trust a root because the server sends it)`);
  if (anchorCert !== undefined) details.push(`root: "${commonName(anchorCert.subject)}", valid ${formatDate(anchorCert.validFrom)} to ${formatDate(anchorCert.validTo)}`);
  const label = (c: BundleCheck) => (c.verdict === 'verifies' ? 'verifies   ' : c.verdict === 'expired' ? 'EXPIRED    ' : 'DOES NOT   ');
  for (const c of [...d.userChecks, ...d.ddChecks]) details.push(`${label(c)} ${c.bundle.path}${c.verdict === 'verifies' ? '' : `: ${c.detail}`}`);
  for (const e of d.bundleErrors) details.push(`cannot read ${e}`);
  details.push(`system trust store: ${t.authorized ? 'verifies' : `does not verify (${t.authorizationError ?? 'unknown'}): clients that use the OS roots (Go tls=true, JDBC without truststore) fail`}`);
  const inter = issuingIntermediate(chain);
  if (inter !== undefined) {
    details.push(`apps that take a single CA certificate and not a bundle: give them the intermediate "${commonName(inter.subject)}" (--save-intermediate <file>)`);
  }
  return details;
}

/** What to do about a bundle that does not verify the chain, pointing at a data-dir bundle that does. */
function fixForBundle(d: Diagnosis, c: BundleCheck): string {
  const { chain, ddChecks } = d;
  const verifying = ddChecks.find((x) => x.verdict === 'verifies');
  const regional = ddChecks.find((x) => x.verdict === 'verifies' && /[a-z]{2}(-[a-z]+)+-\d-bundle\.pem$/.test(x.bundle.path));
  const use = verifying ? `use ${verifying.bundle.path}${regional && regional !== verifying ? ` (or ${regional.bundle.path})` : ''}` : 'download the current bundle with `tlsql download-bundle --force`';
  switch (c.verdict) {
    case 'other-region': {
      const region = regionOfCa(commonName(chain[chain.length - 1]!.issuer));
      const here = verifying ? ` (here: ${verifying.bundle.path})` : '';
      return `the endpoint's CA is in ${region}: use global-bundle.pem or ${region}-bundle.pem (tlsql --region ${region} download-bundle)${here}`;
    }
    case 'outdated':
      return `replace it: ${use}`;
    case 'intermediate-only':
      return `give OpenSSL-based clients the root bundle: ${use}`;
    case 'pinned-leaf':
      return `trust the CA instead of one certificate: ${use}`;
    case 'expired':
      return 'see the expiry step';
    default:
      return `this bundle is not for this endpoint: ${use}`;
  }
}

/**
 * 5. Certificate chain against the `--ssl-ca` bundles (or, without any, the data dir's).
 * Undefined when there was no TLS handshake.
 */
export function chainStep(d: Diagnosis): DoctorStep | undefined {
  const t = d.probe.tls.result;
  if (t === undefined) return undefined;
  if (d.leaf === undefined) return { id: 'chain', title: 'certificate chain', status: 'fail', summary: 'the server sent no certificate', details: [], fix: 'the server is misconfigured' };
  const { userChecks, ddChecks } = d;
  const details = chainDetails(d, t);
  if (userChecks.length > 0) {
    const bad = userChecks.filter((c) => c.verdict !== 'verifies');
    const onlyExpired = bad.length > 0 && bad.every((c) => c.verdict === 'expired');
    return {
      id: 'chain',
      title: 'certificate chain',
      status: bad.length === 0 ? 'ok' : 'fail',
      summary: bad.length === 0 ? `verifies against ${userChecks.map((c) => c.bundle.path).join(', ')}` : onlyExpired ? 'links to a trusted root, but a certificate is outside its validity' : `${bad.map((c) => c.bundle.path).join(', ')}: ${bad[0]!.detail}`,
      details,
      fix: bad.length === 0 ? undefined : fixForBundle(d, bad[0] as BundleCheck),
    };
  }
  if (ddChecks.length > 0) {
    const ok = ddChecks.filter((c) => c.verdict === 'verifies');
    const expired = ddChecks.some((c) => c.verdict === 'expired');
    return {
      id: 'chain',
      title: 'certificate chain',
      status: ok.length > 0 ? 'ok' : 'fail',
      summary:
        ok.length > 0
          ? `verifies against tlsql's ${ok.map((c) => c.bundle.path.split('/').pop()).join(', ')} (pass --ssl-ca to check your application's file)`
          : expired
            ? 'links to a trusted root, but a certificate is outside its validity'
            : `none of the bundles in ${d.o.dataDir}/pki/bundles verifies this server`,
      details,
      fix: ok.length > 0 || expired ? (expired && ok.length === 0 ? 'see the expiry step' : undefined) : 'is this an endpoint of this tlsql data dir? Pass the bundle your application uses with --ssl-ca, or --data-dir for another installation',
    };
  }
  return { id: 'chain', title: 'certificate chain', status: 'warn', summary: 'no bundle to check against', details, fix: 'pass the bundle your application uses with --ssl-ca=global-bundle.pem (tlsql download-bundle fetches it)' };
}
