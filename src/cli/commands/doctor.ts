/**
 * `tlsql doctor <endpoint or host:port>`: diagnoses a (failing) TLS connection to a DB instance
 * step by step (src/doctor/). It takes a positional target, so it reads its own arguments; its
 * options use tlsql's usual `--name value` syntax and the global options are accepted anywhere.
 */

import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { systemClock, type Clock } from '../../lib/clock.js';
import { UsageError } from '../errors.js';
import { globalOptions, type OptionSpec } from '../options.js';
import { parseOptions } from '../parse-args.js';
import { defineRawCommand } from '../registry.js';

const SNIPPET_CLIENTS = ['mysql2', 'mariadb', 'jdbc', 'pymysql', 'go', 'cli'] as const;

/** The doctor's options (besides the global ones). */
export const doctorOptions = [
  { name: 'port', type: 'integer', metavar: '<port>', help: 'Port, when the target has none. Default 3306.' },
  { name: 'ssl-ca', type: 'string-list', metavar: '<file> ...', help: "The bundle(s) your application verifies with; each is judged against the server's chain. The data dir's bundles are always checked too." },
  { name: 'client', type: 'string', choices: SNIPPET_CLIENTS, help: 'Print a connection snippet for this client that verifies chain and host name.' },
  { name: 'user', type: 'string', metavar: '<name>', help: 'DB user: checked against --token and used in snippets (default admin).' },
  { name: 'token', type: 'string', metavar: '<token>', help: 'An IAM authentication token to decode and check (user, host, port, region, expiry); never printed.' },
  { name: 'iam', type: 'boolean', help: 'Snippets log in with an IAM token.' },
  { name: 'app-config', type: 'string', metavar: '<text>', help: "Your application's connection settings (JDBC URL, DSN, options object, command line; file://path to read a file): settings that switch verification off are reported." },
  { name: 'save-intermediate', type: 'string', metavar: '<file>', help: 'Write the intermediate CA that issued the server certificate, for applications that take one CA certificate rather than a bundle.' },
  { name: 'at', type: 'timestamp', metavar: '<time>', help: 'Judge validity and token expiry at this time instead of now (ISO 8601), e.g. to see what breaks next year.' },
  { name: 'warn-days', type: 'integer', metavar: '<days>', help: 'Warn when a certificate expires within this many days. Default 30.' },
  { name: 'timeout', type: 'integer', metavar: '<seconds>', help: 'Timeout of each network step. Default 10.' },
] as const satisfies readonly OptionSpec[];

const valued = new Set<string>([...doctorOptions, ...globalOptions].filter((o) => o.type !== 'boolean').map((o) => `--${o.name}`));

/** Splits the positional target from the option tokens. */
function splitTarget(argv: readonly string[]): { target: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let target: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i] as string;
    if (t.startsWith('--')) {
      rest.push(t);
      if (!t.includes('=') && valued.has(t)) {
        if (i + 1 < argv.length) rest.push(argv[++i] as string);
        // --ssl-ca takes several files: further tokens that look like certificate files.
        if (t === '--ssl-ca') {
          while (i + 1 < argv.length && /\.(pem|crt|cer)$/i.test(argv[i + 1] as string) && !(argv[i + 1] as string).startsWith('-')) rest.push(argv[++i] as string);
        }
      }
      continue;
    }
    if (t === '-h' || t === '-?') {
      rest.push('--help');
      continue;
    }
    if (t === '-P' || /^-P\d+$/.test(t)) {
      // MySQL habit: -P 3306 / -P3306.
      rest.push('--port', t === '-P' ? (argv[++i] ?? '') : t.slice(2));
      continue;
    }
    if (target === undefined && t !== 'help') target = t;
    else rest.push(t);
  }
  return { target, rest };
}

export const doctorCommand = defineRawCommand({
  name: 'doctor',
  summary: 'Diagnoses TLS connections to an endpoint step by step, with the fix for each problem found.',
  description:
    'usage: tlsql doctor <endpoint or host:port> [--ssl-ca <bundle>] [--client mysql2|mariadb|jdbc|pymysql|go|cli] ' +
    '[--token <iam token>] [--user <name>] [--app-config <settings>] [--save-intermediate <file>] [--at <time>] [--output json]. ' +
    'Connects like a MySQL client and reports each step with a verdict: name resolution; TCP; the greeting ' +
    '(server version, TLS offered or not); the TLS handshake (version, cipher); the certificate chain (each ' +
    "certificate's subject, issuer and validity, which bundle files verify it and why the others do not); the host " +
    'name against the names in the certificate (IP addresses, localhost, CNAMEs and aliases recognised); expiry; clock ' +
    "skew against the tlsql server. It recognises a wrong or outdated bundle, another region's bundle, an " +
    'intermediate-only or pinned bundle, and settings that switch verification off (--app-config), and says what to ' +
    'do. Exit status 0 when nothing failed, 1 otherwise.',
  async run(ctx, args) {
    const { target, rest } = splitTarget(args.argv);
    const parsed = parseOptions(rest, [...doctorOptions, ...globalOptions], {
      command: 'doctor',
      loadFile: (p) => readFileSync(resolve(ctx.cwd, p), 'utf8'),
    });
    if (parsed.help) {
      const { commandHelp } = await import('../help.js');
      ctx.io.stdout.write(commandHelp({ ...doctorCommand, options: doctorOptions }));
      return 0;
    }
    if (target === undefined) throw new UsageError('the following arguments are required: <endpoint or host:port>', 'doctor');
    const v = parsed.values as {
      port?: number; sslCa?: string[]; client?: (typeof SNIPPET_CLIENTS)[number]; user?: string; token?: string; iam?: boolean;
      appConfig?: string; saveIntermediate?: string; at?: Date; warnDays?: number; timeout?: number; dataDir?: string; output?: string; region?: string;
    };
    const { diagnose, parseTarget, renderDoctorText } = await import('../../doctor/doctor.js');
    let t: { host: string; port: number; user?: string };
    try {
      t = parseTarget(target, v.port ?? 3306);
    } catch (e) {
      throw new UsageError((e as Error).message, 'doctor');
    }
    const at = v.at;
    const clock: Clock = at !== undefined ? { now: () => new Date(at.getTime()) } : systemClock;
    const report = await diagnose({
      host: t.host,
      port: t.port,
      caFiles: (v.sslCa ?? []).map((f) => resolve(ctx.cwd, f)),
      dataDir: v.dataDir ?? ctx.globals.dataDir,
      clock,
      clockInjected: at !== undefined,
      ...(v.token !== undefined ? { token: v.token } : {}),
      ...((v.user ?? t.user) !== undefined ? { user: (v.user ?? t.user) as string } : {}),
      ...((v.region ?? ctx.globals.region) !== undefined ? { region: (v.region ?? ctx.globals.region) as string } : {}),
      ...(v.client !== undefined ? { client: v.client } : {}),
      ...(v.iam !== undefined ? { iam: v.iam } : {}),
      ...(v.appConfig !== undefined ? { appConfig: v.appConfig } : {}),
      ...(v.saveIntermediate !== undefined ? { saveIntermediate: resolve(ctx.cwd, v.saveIntermediate) } : {}),
      ...(v.warnDays !== undefined ? { warnDays: v.warnDays } : {}),
      timeoutMs: (v.timeout ?? 10) * 1000,
    });
    // Text unless JSON was asked for (after the command, or as a global before it).
    const explicitGlobal = args.leading.some((x) => x === '--output' || x.startsWith('--output='));
    const output = v.output ?? (explicitGlobal ? ctx.globals.output : 'text');
    if (output === 'json') ctx.io.stdout.write(JSON.stringify(report, null, 2) + '\n');
    else ctx.io.stdout.write(renderDoctorText(report));
    return report.verdict === 'fail' ? 1 : 0;
  },
});
