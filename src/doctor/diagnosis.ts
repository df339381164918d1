/**
 * The shared state of one `tlsql doctor` run: what was asked, what the probe saw, and what the
 * certificates, bundles, token and application settings were found to be. Gathered once, before
 * any step is judged; each step (steps/) then reads it and says what it means.
 */
import type { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { lintAppConfig, type ConfigFinding } from './app-config.js';
import { checkBundle, issued, linkChain, parseBundle, type Bundle, type BundleCheck } from './chain.js';
import { dataDirBundles } from './data-dir.js';
import { probe, type ProbeResult } from './probe.js';
import type { SnippetClient } from './snippets.js';
import { checkToken, type TokenReport } from './token.js';

/** A step's verdict. */
export type StepStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One judged step of the report. */
export interface DoctorStep {
  id: 'resolution' | 'tcp' | 'greeting' | 'tls' | 'chain' | 'hostname' | 'expiry' | 'clock' | 'token' | 'app-config';
  title: string;
  status: StepStatus;
  /** One line. */
  summary: string;
  /** Further lines (certificates, bundles, names). */
  details: string[];
  /** What to do, when the step found a problem. */
  fix: string | undefined;
}

/** What `tlsql doctor` is asked to check. */
export interface DoctorOptions {
  host: string;
  port: number;
  /** `--ssl-ca` files: the bundles the user's application uses. */
  caFiles: string[];
  /** tlsql data dir whose `pki/bundles/*.pem` are also checked. */
  dataDir: string | undefined;
  /** Time the certificates and token are judged at. */
  clock: Clock;
  /** True when the clock is not the real time (`--at`): the clock-skew step is skipped. */
  clockInjected: boolean;
  token?: string;
  user?: string;
  region?: string;
  client?: SnippetClient;
  /** With `client`: the snippet logs in with an IAM token. */
  iam?: boolean;
  appConfig?: string;
  /** Write the issuing intermediate CA (PEM) here, for applications that take one CA certificate. */
  saveIntermediate?: string;
  /** Bound of each network step, ms. Default 10 000. */
  timeoutMs?: number;
  /** Days before expiry that count as a warning. Default 30. */
  warnDays?: number;
}

/** Everything the steps judge; read-only once gathered. */
export interface Diagnosis {
  readonly o: DoctorOptions;
  /** The time everything is judged at (`o.clock`). */
  readonly now: Date;
  /** `host:port`, for messages. */
  readonly where: string;
  readonly probe: ProbeResult;
  /** The certificates the server sent, leaf first, as far as they link; [] without a handshake. */
  readonly chain: X509Certificate[];
  /** A self-signed root the server sent along, if any. */
  readonly sentRoot: X509Certificate | undefined;
  readonly leaf: X509Certificate | undefined;
  /** The root that issued the chain's last certificate, from the first bundle that verifies it (or would, but for dates). */
  readonly anchorCert: X509Certificate | undefined;
  /** The `--ssl-ca` bundles, judged against the chain. */
  readonly userChecks: BundleCheck[];
  /** The data dir's bundles not given with `--ssl-ca`, judged against the chain. */
  readonly ddChecks: BundleCheck[];
  readonly ddBundles: Bundle[];
  /** `--ssl-ca` files that could not be read, as `path: reason`. */
  readonly bundleErrors: string[];
  readonly token: TokenReport | undefined;
  readonly appConfig: ConfigFinding[] | undefined;
}

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** `2025-01-02T03:04:05Z`: ISO 8601 without milliseconds. */
export function formatDate(d: Date | string): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Probes the endpoint and reads and judges everything the steps need. Never throws for network or
 * certificate problems: those are recorded for the steps to report.
 */
export async function gatherDiagnosis(o: DoctorOptions): Promise<Diagnosis> {
  const now = o.clock.now();
  const p = await probe(o.host, o.port, { timeoutMs: o.timeoutMs ?? 10_000 });
  const t = p.tls.result;

  const userBundles: Bundle[] = [];
  const bundleErrors: string[] = [];
  for (const f of o.caFiles) {
    try {
      userBundles.push(parseBundle(f, readFileSync(f, 'utf8'), 'ssl-ca'));
    } catch (e) {
      bundleErrors.push(`${f}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  // A --ssl-ca file that is one of the data dir's bundles is judged once, as the user's.
  const given = new Set(userBundles.map((b) => resolve(b.path)));
  const ddBundles = dataDirBundles(o.dataDir).filter((b) => !given.has(resolve(b.path)));
  const { chain, sentRoot } = t ? linkChain(t.sent) : { chain: [] as X509Certificate[], sentRoot: undefined };
  const userChecks: BundleCheck[] = userBundles.map((b) => checkBundle(chain, b, now));
  const ddChecks: BundleCheck[] = ddBundles.map((b) => checkBundle(chain, b, now));
  const leaf = chain[0];
  let anchorCert: X509Certificate | undefined;
  if (leaf !== undefined) {
    const good = [...userChecks, ...ddChecks].find((c) => c.verdict === 'verifies' || c.verdict === 'expired');
    anchorCert = good?.bundle.certs.find((c) => issued(c, chain[chain.length - 1] as X509Certificate));
  }

  const token =
    o.token === undefined
      ? undefined
      : checkToken(o.token, { host: o.host, port: o.port, ...(o.user !== undefined ? { user: o.user } : {}), ...(o.region !== undefined ? { region: o.region } : {}) }, now);
  const appConfig = o.appConfig === undefined ? undefined : lintAppConfig(o.appConfig);

  return { o, now, where: `${o.host}:${o.port}`, probe: p, chain, sentRoot, leaf, anchorCert, userChecks, ddChecks, ddBundles, bundleErrors, token, appConfig };
}
