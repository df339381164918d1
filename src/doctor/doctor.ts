/**
 * `tlsql doctor`: connects to an endpoint step by step like a MySQL client and judges each step
 * (resolution, TCP, greeting, TLS, chain against every bundle, host name, expiry, clock), names
 * the common mistakes (wrong or outdated bundle, another region's bundle, connecting by IP or
 * alias, a plaintext server, verification switched off in the application) with their fix, and
 * optionally decodes an IAM token and prints a connection snippet.
 */

import type { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Clock } from '../lib/clock.js';
import { lintAppConfig, type ConfigFinding } from './app-config.js';
import { checkBundle, commonName, issued, issuingIntermediate, linkChain, parseBundle, regionOfCa, type Bundle, type BundleCheck } from './chain.js';
import { checkHostName, type HostNameCheck } from './hostname.js';
import { probe, type ProbeResult } from './probe.js';
import { connectionSnippet, type SnippetClient } from './snippets.js';
import { checkToken, regionOfEndpoint, type TokenReport } from './token.js';

export type StepStatus = 'ok' | 'warn' | 'fail' | 'skip';

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
  timeoutMs?: number;
  /** Days before expiry that count as a warning. Default 30. */
  warnDays?: number;
}

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

const DAY_MS = 86_400_000;

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

/** `isInstance` for checkHostName: instance directories of the data dir; {} when there is no data dir. */
export function instanceLookup(dataDir: string | undefined): { isInstance?: (id: string) => boolean } {
  if (dataDir === undefined || !existsSync(join(dataDir, 'instances'))) return {};
  return { isInstance: (id) => /^[a-z][a-z0-9-]*$/.test(id) && existsSync(join(dataDir, 'instances', id)) };
}

/** The bundles of a tlsql data dir (`pki/bundles/*.pem`), global first. [] when there are none. */
export function dataDirBundles(dataDir: string | undefined): Bundle[] {
  if (dataDir === undefined) return [];
  const dir = join(dataDir, 'pki', 'bundles');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pem'));
  } catch {
    return []; // no data dir here (a remote endpoint, or tlsql not initialised): nothing to compare with
  }
  names.sort((a, b) => (a === 'global-bundle.pem' ? -1 : b === 'global-bundle.pem' ? 1 : a.localeCompare(b)));
  return names.map((n) => parseBundle(join(dir, n), readFileSync(join(dir, n), 'utf8'), 'data-dir'));
}

function fmtDate(d: Date | string): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function describeCert(c: X509Certificate, i: number): string {
  const san = c.subjectAltName ? `  names ${c.subjectAltName.replace(/IP Address:/g, 'IP:')}` : '';
  return `#${i} "${commonName(c.subject)}" issued by "${commonName(c.issuer)}", valid ${fmtDate(c.validFrom)} to ${fmtDate(c.validTo)}${san}`;
}

/** Runs every step. Never throws for network or certificate problems: they are findings. */
export async function diagnose(o: DoctorOptions): Promise<DoctorReport> {
  const now = o.clock.now();
  const steps: DoctorStep[] = [];
  const add = (s: DoctorStep) => steps.push(s);
  const where = `${o.host}:${o.port}`;
  const p: ProbeResult = await probe(o.host, o.port, { timeoutMs: o.timeoutMs ?? 10_000 });

  // 1. Name resolution.
  if (p.resolution.isIp) {
    add({ id: 'resolution', title: 'name resolution', status: 'ok', summary: `${o.host} is an IP address (nothing to resolve)`, details: [], fix: undefined });
  } else if (p.resolution.error !== undefined) {
    add({
      id: 'resolution',
      title: 'name resolution',
      status: 'fail',
      summary: `${o.host} does not resolve (${p.resolution.error})`,
      details: [],
      fix: o.host.endsWith('.localhost')
        ? 'names under .localhost resolve to loopback with libnss-myhostname (apt-get install libnss-myhostname) or an /etc/hosts entry'
        : 'check the endpoint name (tlsql describe-db-instances shows Endpoint.Address) and DNS',
    });
  } else {
    const cn = p.resolution.cnames.length > 0 ? ` (CNAME ${p.resolution.cnames.join(', ')})` : '';
    add({ id: 'resolution', title: 'name resolution', status: 'ok', summary: `${o.host} -> ${p.resolution.addresses.join(', ')}${cn}`, details: [], fix: undefined });
  }

  // 2. TCP.
  if (p.resolution.error === undefined) {
    if (p.tcp.ok) add({ id: 'tcp', title: 'TCP', status: 'ok', summary: `connected to ${p.tcp.address} in ${p.tcp.ms} ms`, details: [], fix: undefined });
    else {
      add({
        id: 'tcp',
        title: 'TCP',
        status: 'fail',
        summary: p.tcp.error ?? 'connection failed',
        details: [],
        fix: /\(111\)/.test(p.tcp.error ?? '')
          ? `nothing listens on ${where}: check the port (tlsql describe-db-instances shows Endpoint.Port) and that the instance is available and \`tlsql server\` runs`
          : 'check the address, the port and any firewall on the way',
      });
    }
  }

  // 3. Greeting.
  const g = p.greeting.info;
  if (p.tcp.ok) {
    if (g === undefined) {
      add({ id: 'greeting', title: 'greeting', status: 'fail', summary: p.greeting.error ?? 'no greeting', details: [], fix: `is ${where} a MySQL port? A refused login at this stage (too many connections, host blocked) comes from the server` });
    } else if (!g.offersTls) {
      add({
        id: 'greeting',
        title: 'greeting',
        status: 'fail',
        summary: `${g.serverVersion}, connection id ${g.connectionId}: TLS NOT offered`,
        details: [
          'clients with the default --ssl-mode=PREFERRED silently connect in plaintext here; REQUIRED and VERIFY_* fail with',
          "\"SSL connection error: SSL is required but the server doesn't support it\"",
        ],
        fix: 'this is not a tlsql endpoint (tlsql endpoints always offer TLS): connect to the instance endpoint, or configure TLS on this server (ssl_cert, ssl_key)',
      });
    } else {
      add({ id: 'greeting', title: 'greeting', status: 'ok', summary: `${g.serverVersion}, connection id ${g.connectionId}, TLS offered`, details: [], fix: undefined });
    }
  }

  // 4. TLS handshake.
  const t = p.tls.result;
  if (!p.tls.skipped) {
    if (t === undefined) {
      add({
        id: 'tls',
        title: 'TLS handshake',
        status: 'fail',
        summary: `handshake failed: ${p.tls.error ?? 'unknown error'}`,
        details: [],
        fix: /version|protocol/i.test(p.tls.error ?? '') ? 'the server and this client share no TLS version: tlsql instances accept TLS 1.2 and 1.3 unless the parameter group says otherwise' : 'run with --debug and check the server log',
      });
    } else {
      const old = t.protocol === 'TLSv1' || t.protocol === 'TLSv1.1';
      add({
        id: 'tls',
        title: 'TLS handshake',
        status: old ? 'warn' : 'ok',
        summary: `${t.protocol}, ${t.cipher}`,
        details: [],
        fix: old ? `${t.protocol} is deprecated: allow TLS 1.2+ only (tls_version parameter)` : undefined,
      });
    }
  }

  // 5. Chain against the bundles.
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
  if (t !== undefined && leaf !== undefined) {
    const details = chain.map(describeCert);
    if (sentRoot !== undefined) details.push(`the server also sent its root "${commonName(sentRoot.subject)}" (clients never trust a root because the server sends it)`);
    const good = [...userChecks, ...ddChecks].find((c) => c.verdict === 'verifies' || c.verdict === 'expired');
    anchorCert = good?.bundle.certs.find((c) => issued(c, chain[chain.length - 1] as X509Certificate));
    if (anchorCert !== undefined) details.push(`root: "${commonName(anchorCert.subject)}", valid ${fmtDate(anchorCert.validFrom)} to ${fmtDate(anchorCert.validTo)}`);
    const label = (c: BundleCheck) => (c.verdict === 'verifies' ? 'verifies   ' : c.verdict === 'expired' ? 'EXPIRED    ' : 'DOES NOT   ');
    for (const c of [...userChecks, ...ddChecks]) details.push(`${label(c)} ${c.bundle.path}${c.verdict === 'verifies' ? '' : `: ${c.detail}`}`);
    for (const e of bundleErrors) details.push(`cannot read ${e}`);
    details.push(`system trust store: ${t.authorized ? 'verifies' : `does not verify (${t.authorizationError ?? 'unknown'}): clients that use the OS roots (Go tls=true, JDBC without truststore) fail`}`);
    const inter = issuingIntermediate(chain);
    if (inter !== undefined) {
      details.push(`apps that take a single CA certificate and not a bundle: give them the intermediate "${commonName(inter.subject)}" (--save-intermediate <file>)`);
    }

    const pickFix = (c: BundleCheck): string => {
      const verifying = ddChecks.find((d) => d.verdict === 'verifies');
      const regional = ddChecks.find((d) => d.verdict === 'verifies' && /[a-z]{2}(-[a-z]+)+-\d-bundle\.pem$/.test(d.bundle.path));
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
    };
    if (userChecks.length > 0) {
      const bad = userChecks.filter((c) => c.verdict !== 'verifies');
      const onlyExpired = bad.length > 0 && bad.every((c) => c.verdict === 'expired');
      add({
        id: 'chain',
        title: 'certificate chain',
        status: bad.length === 0 ? 'ok' : 'fail',
        summary: bad.length === 0 ? `verifies against ${userChecks.map((c) => c.bundle.path).join(', ')}` : onlyExpired ? 'links to a trusted root, but a certificate is outside its validity' : `${bad.map((c) => c.bundle.path).join(', ')}: ${bad[0]!.detail}`,
        details,
        fix: bad.length === 0 ? undefined : pickFix(bad[0] as BundleCheck),
      });
    } else if (ddChecks.length > 0) {
      const ok = ddChecks.filter((c) => c.verdict === 'verifies');
      const expired = ddChecks.some((c) => c.verdict === 'expired');
      add({
        id: 'chain',
        title: 'certificate chain',
        status: ok.length > 0 ? 'ok' : 'fail',
        summary:
          ok.length > 0
            ? `verifies against tlsql's ${ok.map((c) => c.bundle.path.split('/').pop()).join(', ')} (pass --ssl-ca to check your application's file)`
            : expired
              ? 'links to a trusted root, but a certificate is outside its validity'
              : `none of the bundles in ${o.dataDir}/pki/bundles verifies this server`,
        details,
        fix: ok.length > 0 || expired ? (expired && ok.length === 0 ? 'see the expiry step' : undefined) : 'is this an endpoint of this tlsql data dir? Pass the bundle your application uses with --ssl-ca, or --data-dir for another installation',
      });
    } else {
      add({ id: 'chain', title: 'certificate chain', status: 'warn', summary: 'no bundle to check against', details, fix: 'pass the bundle your application uses with --ssl-ca=global-bundle.pem (tlsql download-bundle fetches it)' });
    }
  } else if (t !== undefined) {
    add({ id: 'chain', title: 'certificate chain', status: 'fail', summary: 'the server sent no certificate', details: [], fix: 'the server is misconfigured' });
  }

  // 6. Host name.
  let hn: HostNameCheck | undefined;
  if (leaf !== undefined) {
    hn = await checkHostName(o.host, leaf, p.resolution, instanceLookup(o.dataDir));
    add({ id: 'hostname', title: 'host name', status: hn.ok ? 'ok' : 'fail', summary: hn.detail, details: [`names in the certificate: ${hn.names.join(', ')}`], fix: hn.fix });
  }

  // 7. Expiry.
  if (leaf !== undefined) {
    const warnMs = (o.warnDays ?? 30) * DAY_MS;
    const all = [...chain, ...(anchorCert ? [anchorCert] : [])];
    const lines: string[] = [];
    let status: StepStatus = 'ok';
    let fix: string | undefined;
    const at = o.clockInjected ? ` (evaluated at ${fmtDate(now)})` : '';
    for (const [i, c] of all.entries()) {
      const from = new Date(c.validFrom).getTime();
      const to = new Date(c.validTo).getTime();
      const what = i === 0 ? 'server certificate' : c === anchorCert ? 'root CA' : 'intermediate CA';
      if (now.getTime() > to) {
        status = 'fail';
        lines.push(`${what} "${commonName(c.subject)}" EXPIRED on ${fmtDate(c.validTo)}`);
        fix ??=
          i === 0
            ? `the server certificate must be renewed: tlsql renews it automatically at half-life while \`tlsql server\` runs (check that it does); if the date looks wrong, check this machine's clock${at}`
            : `the ${what} expired: rotate the instance to a current CA (tlsql modify-db-instance --ca-certificate-identifier ... --apply-immediately) and refresh the bundle`;
      } else if (now.getTime() < from) {
        status = 'fail';
        lines.push(`${what} "${commonName(c.subject)}" is not valid before ${fmtDate(c.validFrom)}`);
        fix ??= `this machine's clock is behind (now ${fmtDate(now)}): fix the clock (NTP)`;
      } else if (to - now.getTime() < warnMs) {
        if (status === 'ok') status = 'warn';
        lines.push(`${what} "${commonName(c.subject)}" expires in ${Math.floor((to - now.getTime()) / DAY_MS)} days (${fmtDate(c.validTo)})`);
        fix ??= i === 0 ? 'tlsql renews server certificates at half-life while `tlsql server` runs; check that it runs' : 'plan a CA rotation (tlsql modify-db-instance --ca-certificate-identifier)';
      } else {
        lines.push(`${what} "${commonName(c.subject)}" valid ${Math.floor((to - now.getTime()) / DAY_MS)} more days`);
      }
    }
    const leafLeft = Math.floor((new Date(leaf.validTo).getTime() - now.getTime()) / DAY_MS);
    add({
      id: 'expiry',
      title: 'expiry',
      status,
      summary: status === 'ok' ? `server certificate valid ${leafLeft} more days (until ${fmtDate(leaf.validTo)})${at}` : `${lines.find((l) => /EXPIRED|not valid|expires in/.test(l))}${at}`,
      details: lines,
      fix,
    });
  }

  // 8. Clock.
  steps.push(await clockStep(o, leaf, now));

  // 9. IAM token.
  let token: TokenReport | undefined;
  if (o.token !== undefined) {
    token = checkToken(o.token, { host: o.host, port: o.port, ...(o.user !== undefined ? { user: o.user } : {}), ...(o.region !== undefined ? { region: o.region } : {}) }, now);
    const failed = token.checks.filter((c) => !c.ok);
    const d = token.decoded;
    add({
      id: 'token',
      title: 'IAM token',
      status: token.error !== undefined || failed.length > 0 ? 'fail' : 'ok',
      summary:
        token.error ??
        (failed.length === 0
          ? `for ${d?.dbUser}@${d?.host}:${d?.port} in ${d?.region}, key ${d?.accessKeyId}: every check the server makes before the signature passes`
          : `would be refused: ${failed.map((c) => c.name).join(', ')}`),
      details: token.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
      fix: token.error !== undefined ? 'pass the whole token (aws rds generate-db-auth-token or @aws-sdk/rds-signer output)' : failed[0]?.detail.split(': ').slice(1).join(': ') || failed[0]?.detail,
    });
  }

  // 10. Application settings.
  let appConfig: ConfigFinding[] | undefined;
  if (o.appConfig !== undefined) {
    appConfig = lintAppConfig(o.appConfig);
    add({
      id: 'app-config',
      title: 'application settings',
      status: appConfig.length === 0 ? 'ok' : 'fail',
      summary: appConfig.length === 0 ? 'no setting that switches verification off' : `verification is switched off or weakened: ${appConfig.map((f) => f.match).join('; ')}`,
      details: appConfig.map((f) => `${f.match}: ${f.problem}; fix: ${f.fix}`),
      fix: appConfig[0]?.fix,
    });
  }

  // Extras: the intermediate for single-certificate apps, and a snippet.
  let intermediateSavedTo: string | undefined;
  if (o.saveIntermediate !== undefined) {
    const inter = issuingIntermediate(chain);
    if (inter !== undefined) {
      intermediateSavedTo = resolve(o.saveIntermediate);
      await writeFile(intermediateSavedTo, inter.toString(), { mode: 0o644 });
    }
  }
  let snippet: DoctorReport['snippet'];
  if (o.client !== undefined) {
    const verifying = [...userChecks, ...ddChecks].find((c) => c.verdict === 'verifies');
    const bundlePath = resolve(verifying?.bundle.path ?? ddBundles[0]?.path ?? 'global-bundle.pem');
    const region = o.region ?? regionOfEndpoint(o.host);
    snippet = {
      client: o.client,
      bundlePath,
      text: connectionSnippet(o.client, { host: o.host, port: o.port, user: o.user ?? 'admin', bundlePath, iam: o.iam === true || o.token !== undefined, ...(region !== undefined ? { region } : {}) }),
    };
  }

  const verdict = steps.some((s) => s.status === 'fail') ? 'fail' : steps.some((s) => s.status === 'warn') ? 'warn' : 'ok';
  return {
    target: { host: o.host, port: o.port },
    evaluatedAt: now.toISOString(),
    steps,
    verdict,
    findings: steps.filter((s) => s.status === 'fail' || s.status === 'warn').map((s) => ({ step: s.id, problem: s.summary, fix: s.fix })),
    bundles: [...userChecks, ...ddChecks].map((c) => ({ path: c.bundle.path, origin: c.bundle.origin, verdict: c.verdict, detail: c.detail })),
    token,
    appConfig,
    snippet,
    intermediateSavedTo,
  };
}

/**
 * Clock skew: the tlsql API's HTTP Date header (when the data dir names a running server) against
 * the local clock; otherwise only what the certificate dates say. Skipped with an injected clock.
 */
async function clockStep(o: DoctorOptions, leaf: X509Certificate | undefined, now: Date): Promise<DoctorStep> {
  const base = { id: 'clock' as const, title: 'clock', details: [] as string[] };
  if (o.clockInjected) return { ...base, status: 'skip', summary: `not compared: evaluating at ${fmtDate(now)} (--at)`, fix: undefined };
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
    return { ...base, status: 'fail', summary: `the server certificate is not valid until ${fmtDate(leaf.validFrom)}, after this machine's time ${fmtDate(now)}`, fix: "this machine's clock is probably behind: fix it (NTP)" };
  }
  return { ...base, status: 'skip', summary: 'no server clock to compare with (no running tlsql server in the data dir); the certificate dates are consistent with this clock', fix: undefined };
}

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
