import { commonName } from '../chain.js';
import { DAY_MS, formatDate, type Diagnosis, type DoctorStep, type StepStatus } from '../diagnosis.js';

/**
 * 7. Expiry of the server certificate, the intermediates and the anchoring root at the judged
 * time; within `warnDays` (default 30) is a warning. Undefined without a certificate.
 */
export function expiryStep(d: Diagnosis): DoctorStep | undefined {
  const { o, now, chain, leaf, anchorCert } = d;
  if (leaf === undefined) return undefined;
  const warnMs = (o.warnDays ?? 30) * DAY_MS;
  const all = [...chain, ...(anchorCert ? [anchorCert] : [])];
  const lines: string[] = [];
  let status: StepStatus = 'ok';
  let fix: string | undefined;
  const at = o.clockInjected ? ` (evaluated at ${formatDate(now)})` : '';
  for (const [i, c] of all.entries()) {
    const from = new Date(c.validFrom).getTime();
    const to = new Date(c.validTo).getTime();
    const what = i === 0 ? 'server certificate' : c === anchorCert ? 'root CA' : 'intermediate CA';
    if (now.getTime() > to) {
      status = 'fail';
      lines.push(`${what} "${commonName(c.subject)}" EXPIRED on ${formatDate(c.validTo)}`);
      fix ??=
        i === 0
          ? `the server certificate must be renewed: tlsql renews it automatically at half-life while \`tlsql server\` runs (check that it does); if the date looks wrong, check this machine's clock${at}`
          : `the ${what} expired: rotate the instance to a current CA (tlsql modify-db-instance --ca-certificate-identifier ... --apply-immediately) and refresh the bundle`;
    } else if (now.getTime() < from) {
      status = 'fail';
      lines.push(`${what} "${commonName(c.subject)}" is not valid before ${formatDate(c.validFrom)}`);
      fix ??= `this machine's clock is behind (now ${formatDate(now)}): fix the clock (NTP)`;
    } else if (to - now.getTime() < warnMs) {
      if (status === 'ok') status = 'warn';
      lines.push(`${what} "${commonName(c.subject)}" expires in ${Math.floor((to - now.getTime()) / DAY_MS)} days (${formatDate(c.validTo)})`);
      fix ??= i === 0 ? 'tlsql renews server certificates at half-life while `tlsql server` runs; check that it runs' : 'plan a CA rotation (tlsql modify-db-instance --ca-certificate-identifier)';
    } else {
      lines.push(`${what} "${commonName(c.subject)}" valid ${Math.floor((to - now.getTime()) / DAY_MS)} more days`);
    }
  }
  const leafLeft = Math.floor((new Date(leaf.validTo).getTime() - now.getTime()) / DAY_MS);
  return {
    id: 'expiry',
    title: 'expiry',
    status,
    summary: status === 'ok' ? `server certificate valid ${leafLeft} more days (until ${formatDate(leaf.validTo)})${at}` : `${lines.find((l) => /EXPIRED|not valid|expires in/.test(l))}${at}`,
    details: lines,
    fix,
  };
}
