import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatDate, type Diagnosis, type DoctorStep } from '../diagnosis.js';

/**
 * The verdict on a clock difference (`skewMs` = server minus local). HTTP dates have 1 s
 * resolution, so up to 1.5 s counts as none; beyond 1 min is a warning; beyond 5 min a failure
 * (IAM tokens are refused, fresh certificates look not yet valid).
 */
export function judgeClockSkew(skewMs: number, source: string): Pick<DoctorStep, 'status' | 'summary' | 'fix'> {
  const abs = Math.abs(skewMs);
  const summary = `${source} is ${abs < 1500 ? 'within 1 s of' : `${Math.round(abs / 1000)} s ${skewMs > 0 ? 'ahead of' : 'behind'}`} this machine's`;
  if (abs > 5 * 60_000) return { status: 'fail', summary, fix: 'synchronise both clocks (NTP): IAM tokens are refused beyond 5 minutes of skew and fresh certificates look not yet valid' };
  if (abs > 60_000) return { status: 'warn', summary, fix: 'synchronise the clocks (NTP)' };
  return { status: 'ok', summary, fix: undefined };
}

/**
 * 8. Clock skew: the tlsql API's HTTP Date header (when the data dir names a running server) against
 * the local clock; otherwise only what the certificate dates say. Skipped with an injected clock.
 */
export async function clockStep(d: Diagnosis): Promise<DoctorStep> {
  const { o, leaf, now } = d;
  const base = { id: 'clock' as const, title: 'clock', details: [] as string[] };
  if (o.clockInjected) return { ...base, status: 'skip', summary: `not compared: evaluating at ${formatDate(now)} (--at)`, fix: undefined };
  let apiUrl: string | undefined;
  if (o.dataDir !== undefined) {
    try {
      apiUrl = (JSON.parse(readFileSync(join(o.dataDir, 'server.json'), 'utf8')) as { apiUrl?: string }).apiUrl;
    } catch {
      apiUrl = undefined; // no running server recorded: fall back to the certificate dates
    }
  }
  if (apiUrl !== undefined) {
    try {
      const before = Date.now();
      const res = await fetch(`${apiUrl}/health`, { signal: AbortSignal.timeout(3000) });
      const after = Date.now();
      const date = res.headers.get('date');
      if (date !== null) {
        const server = new Date(date).getTime();
        return { ...base, ...judgeClockSkew(server - (before + after) / 2, `the tlsql server's clock (${apiUrl})`) };
      }
    } catch {
      // The API is not reachable: the certificate-date check below is what remains.
    }
  }
  if (leaf !== undefined && now.getTime() < new Date(leaf.validFrom).getTime()) {
    return { ...base, status: 'fail', summary: `the server certificate is not valid until ${formatDate(leaf.validFrom)}, after this machine's time ${formatDate(now)}`, fix: "this machine's clock is probably behind: fix it (NTP)" };
  }
  return { ...base, status: 'skip', summary: 'no server clock to compare with (no running tlsql server in the data dir); the certificate dates are consistent with this clock', fix: undefined };
}
