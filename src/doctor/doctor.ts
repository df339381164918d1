/**
 * `tlsql doctor`: connects to an endpoint step by step like a MySQL client and judges each step
 * (resolution, TCP, greeting, TLS, chain against every bundle, host name, expiry, clock), names
 * the common mistakes (wrong or outdated bundle, another region's bundle, connecting by IP or
 * alias, a plaintext server, verification switched off in the application) with their fix, and
 * optionally decodes an IAM token and prints a connection snippet.
 *
 * Everything is probed and read first (diagnosis.ts); each step is then one function of that
 * (steps/, in report order in steps/index.ts); this file assembles the report and renders it.
 */

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ConfigFinding } from './app-config.js';
import { issuingIntermediate } from './chain.js';
import { gatherDiagnosis, type Diagnosis, type DoctorOptions, type DoctorStep, type StepStatus } from './diagnosis.js';
import { connectionSnippet, type SnippetClient } from './snippets.js';
import { DOCTOR_STEPS } from './steps/index.js';
import { regionOfEndpoint, type TokenReport } from './token.js';

// The report's vocabulary is defined beside the steps that produce it (diagnosis.ts, steps/);
// callers of the doctor keep importing it from here.
export type { DoctorOptions, DoctorStep, StepStatus } from './diagnosis.js';
export { judgeClockSkew } from './steps/clock-step.js';

/** What `diagnose` found: every step, the verdict, and the extras asked for. */
export interface DoctorReport {
  target: { host: string; port: number };
  evaluatedAt: string;
  steps: DoctorStep[];
  verdict: 'ok' | 'warn' | 'fail';
  /** The problems found, each with its fix, in step order. */
  findings: { step: string; problem: string; fix: string | undefined }[];
  bundles: { path: string; origin: string; verdict: string; detail: string }[];
  token: TokenReport | undefined;
  appConfig: ConfigFinding[] | undefined;
  snippet: { client: SnippetClient; text: string; bundlePath: string } | undefined;
  intermediateSavedTo: string | undefined;
}

/** Parses `host:port`, `[v6]:port`, a bare host (port `defaultPort`), or a `mysql://user@host:port/db` URL. */
export function parseTarget(target: string, defaultPort = 3306): { host: string; port: number; user?: string } {
  let t = target.trim();
  let user: string | undefined;
  const url = /^mysql[a-z]*:\/\/(?:([^@/:]+)(?::[^@/]*)?@)?([^/?]+)/i.exec(t);
  if (url) {
    user = url[1] !== undefined ? decodeURIComponent(url[1]) : undefined;
    t = url[2] as string;
  }
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { host: v6[1] as string, port: v6[2] ? Number(v6[2]) : defaultPort, ...(user ? { user } : {}) };
  const colons = (t.match(/:/g) ?? []).length;
  if (colons === 1) {
    const [h, p] = t.split(':') as [string, string];
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) throw new Error(`bad port '${p}' in '${target}'`);
    return { host: h, port: Number(p), ...(user ? { user } : {}) };
  }
  if (t === '') throw new Error('no endpoint given');
  return { host: t, port: defaultPort, ...(user ? { user } : {}) };
}

/** `--save-intermediate`: writes the issuing intermediate, when the chain has one; returns where. */
async function saveIntermediate(d: Diagnosis): Promise<string | undefined> {
  if (d.o.saveIntermediate === undefined) return undefined;
  const inter = issuingIntermediate(d.chain);
  if (inter === undefined) return undefined;
  const path = resolve(d.o.saveIntermediate);
  await writeFile(path, inter.toString(), { mode: 0o644 });
  return path;
}

/** `--client`: a connection snippet with the bundle that verifies this server (else the data dir's first, else global-bundle.pem). */
function snippetFor(d: Diagnosis): DoctorReport['snippet'] {
  const { o } = d;
  if (o.client === undefined) return undefined;
  const verifying = [...d.userChecks, ...d.ddChecks].find((c) => c.verdict === 'verifies');
  const bundlePath = resolve(verifying?.bundle.path ?? d.ddBundles[0]?.path ?? 'global-bundle.pem');
  const region = o.region ?? regionOfEndpoint(o.host);
  return {
    client: o.client,
    bundlePath,
    text: connectionSnippet(o.client, { host: o.host, port: o.port, user: o.user ?? 'admin', bundlePath, iam: o.iam === true || o.token !== undefined, ...(region !== undefined ? { region } : {}) }),
  };
}

/** Runs every step (steps/index.ts), in order. Never throws for network or certificate problems: they are findings. */
export async function diagnose(o: DoctorOptions): Promise<DoctorReport> {
  const d = await gatherDiagnosis(o);
  const steps: DoctorStep[] = [];
  for (const judge of DOCTOR_STEPS) {
    const step = await judge(d);
    if (step !== undefined) steps.push(step);
  }
  const intermediateSavedTo = await saveIntermediate(d);
  const snippet = snippetFor(d);

  const verdict = steps.some((s) => s.status === 'fail') ? 'fail' : steps.some((s) => s.status === 'warn') ? 'warn' : 'ok';
  return {
    target: { host: o.host, port: o.port },
    evaluatedAt: d.now.toISOString(),
    steps,
    verdict,
    findings: steps.filter((s) => s.status === 'fail' || s.status === 'warn').map((s) => ({ step: s.id, problem: s.summary, fix: s.fix })),
    bundles: [...d.userChecks, ...d.ddChecks].map((c) => ({ path: c.bundle.path, origin: c.bundle.origin, verdict: c.verdict, detail: c.detail })),
    token: d.token,
    appConfig: d.appConfig,
    snippet,
    intermediateSavedTo,
  };
}

/** The report as text, one block per step, then what to do and the snippet. */
export function renderDoctorText(r: DoctorReport): string {
  const tag: Record<StepStatus, string> = { ok: '[ OK ]', warn: '[WARN]', fail: '[FAIL]', skip: '[SKIP]' };
  const out: string[] = [`tlsql doctor ${r.target.host}:${r.target.port}`, ''];
  const width = Math.max(...r.steps.map((s) => s.title.length));
  for (const s of r.steps) {
    out.push(`${tag[s.status]} ${s.title.padEnd(width)}  ${s.summary}`);
    for (const d of s.details) out.push(`       ${' '.repeat(width)}  ${d}`);
    if (s.fix !== undefined && (s.status === 'fail' || s.status === 'warn')) out.push(`       ${' '.repeat(width)}  fix: ${s.fix}`);
  }
  out.push('');
  if (r.verdict === 'ok') {
    out.push('Verdict: OK: a client verifying chain and host name (--ssl-mode=VERIFY_IDENTITY) connects to this endpoint.');
  } else {
    out.push(`Verdict: ${r.verdict === 'fail' ? 'FAIL' : 'WARN'}: ${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}.`);
    for (const f of r.findings) out.push(`  - ${f.step}: ${f.problem}${f.fix ? `\n    fix: ${f.fix}` : ''}`);
  }
  if (r.intermediateSavedTo !== undefined) out.push('', `Intermediate CA written to ${r.intermediateSavedTo}.`);
  if (r.snippet !== undefined) out.push('', `Connection snippet (${r.snippet.client}):`, '', r.snippet.text.trimEnd());
  return out.join('\n') + '\n';
}
