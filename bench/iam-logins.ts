/**
 * IAM database authentication benchmark (docs/benchmarks.md "IAM database authentication"): new
 * logins per second through one endpoint with an IAM token (@aws-sdk/rds-signer, mysql2 with the
 * cleartext plugin) versus a native password, both over verified TLS (chain + host name), in the
 * same run, interleaved in rounds so both see the same machine state. Each login is connect + TLS +
 * authentication + COM_QUIT. Sequential (one client) and concurrent (several clients at once,
 * spread over worker threads) rates are measured, plus the token's own cost: signing it (client)
 * and verifying it (front door, in process).
 *
 *   npm run build && node dist/bench/iam-logins.js
 *
 * Targets: IAM / password >= 0.8 and IAM >= 200 logins/s (RDS throttles IAM logins at 200/s).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { Signer } from '@aws-sdk/rds-signer';
import mysql from 'mysql2/promise';
import { verifyDbAuthToken } from '../src/iam/db-auth-token.js';
import { connectors, LoginWorkers, runLogins } from './login-workers.js';
import { cpuMs, machine, median, root, startServer, waitForQuiet, type BenchServer } from './lib.js';

const PASSWORD = 'Bench-pass-1';
const ROUNDS = 5;
const PER_ROUND = 200;
/** Rates (temp1: a token signed with temporary credentials from AssumeRole): 1 = one client, N = concurrent full handshakes, R = concurrent resumed, H = resumed at CONCURRENCY_HIGH. */
const RESULT_KEYS = ['pw1', 'iam1', 'temp1', 'fresh1', 'pwN', 'iamN', 'pwR', 'iamR', 'pwH', 'iamH'] as const;
type ResultKey = (typeof RESULT_KEYS)[number];
type CpuKey = 'pwN' | 'iamN' | 'pwR' | 'iamR';
const CONCURRENCY = 8;
/**
 * A second, higher concurrency for the resumed mode: at 8 clients the machine still idles while
 * clients wait on round trips (the CPU per login allows ~225/s at full use of both cores).
 */
const CONCURRENCY_HIGH = 16;
/** Worker threads the concurrent clients are spread over. */
const THREADS = 4;

async function instance(s: BenchServer, id: string): Promise<{ host: string; port: number; resourceId: string }> {
  await s.rds.send(
    new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro', EnableIAMDatabaseAuthentication: true }),
  );
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') return { host: i.Endpoint!.Address!, port: i.Endpoint!.Port!, resourceId: i.DbiResourceId! };
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function tlsql(s: BenchServer, args: string[]): string {
  return execFileSync(process.execPath, [join(root, 'bin/tlsql'), '--data-dir', s.dataDir, '--endpoint-url', s.apiUrl, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  }).toString();
}

/** Logins per second: `n` logins by `clients` clients in this thread. */
async function rate(connect: () => Promise<mysql.Connection>, n: number, clients: number): Promise<number> {
  const t0 = performance.now();
  await runLogins(connect, n, clients);
  return (n / (performance.now() - t0)) * 1000;
}

async function main(): Promise<void> {
  const s = await startServer(19820, 25200);
  let workers: LoginWorkers | null = null;
  try {
    const ca = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    const ep = await instance(s, 'iambench');
    const admin = await mysql.createConnection({ host: ep.host, port: ep.port, user: 'admin', password: PASSWORD, ssl: { ca, verifyIdentity: true } });
    await admin.query("CREATE USER 'app_iam'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
    await admin.query(`CREATE USER 'app_pw'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await admin.end();
    tlsql(s, ['iam', 'create-user', '--user-name', 'bench']);
    const k = JSON.parse(tlsql(s, ['iam', 'create-access-key', '--user-name', 'bench'])).AccessKey as { AccessKeyId: string; SecretAccessKey: string };
    const credentials = { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey };
    tlsql(s, ['iam', 'allow-db-connect', '--user-name', 'bench', '--db-instance-identifier', 'iambench', '--db-user', 'app_iam']);

    // The same permission through a role: temporary credentials from AssumeRole sign the token.
    const account = JSON.parse(tlsql(s, ['iam', 'get-user', '--user-name', 'bench'])).User.Arn.split(':')[4] as string;
    const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/bench` }, Action: 'sts:AssumeRole' }] };
    tlsql(s, ['iam', 'create-role', '--role-name', 'bench-role', '--assume-role-policy-document', JSON.stringify(trust)]);
    const connectPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:us-east-1:${account}:dbuser:${ep.resourceId}/app_iam` }] };
    tlsql(s, ['iam', 'put-role-policy', '--role-name', 'bench-role', '--policy-name', 'connect', '--policy-document', JSON.stringify(connectPolicy)]);
    const assumed = await new STSClient({ endpoint: s.apiUrl, region: 'us-east-1', credentials }).send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/bench-role`, RoleSessionName: 'bench' }));
    const temp = { accessKeyId: assumed.Credentials!.AccessKeyId!, secretAccessKey: assumed.Credentials!.SecretAccessKey!, sessionToken: assumed.Credentials!.SessionToken! };
    const tempToken = await new Signer({ hostname: ep.host, port: ep.port, username: 'app_iam', region: 'us-east-1', credentials: temp }).getAuthToken();
    const tempConnect = () => mysql.createConnection({ host: ep.host, port: ep.port, user: 'app_iam', password: tempToken, enableCleartextPlugin: true, ssl: { ca, verifyIdentity: true } });

    const signer = new Signer({ hostname: ep.host, port: ep.port, username: 'app_iam', region: 'us-east-1', credentials });
    const token = await signer.getAuthToken();
    // Applications reuse a token for its 15 minutes (RDS documents it); a fresh one per login is measured too.
    const target = { host: ep.host, port: ep.port, ca, password: PASSWORD, token };
    const connect = connectors(target);
    const iamFresh = async () => mysql.createConnection({ host: ep.host, port: ep.port, user: 'app_iam', password: await signer.getAuthToken(), enableCleartextPlugin: true, ssl: { ca, verifyIdentity: true } });
    // Concurrent clients run on worker threads (login-workers.ts): one event loop would cap them.
    workers = new LoginWorkers(target, THREADS);
    const pool = workers;
    // Warm-up: JIT (here and in every worker), link contexts and sessions, account list; then the server's background work.
    await rate(tempConnect, 100, 1);
    for (const kind of ['password', 'iam', 'passwordResumed', 'iamResumed'] as const) {
      await rate(connect[kind], 100, 1);
      await pool.rate(kind, 400, CONCURRENCY);
    }
    await waitForQuiet(s.child.pid!);

    const results = Object.fromEntries(RESULT_KEYS.map((k) => [k, [] as number[]])) as Record<ResultKey, number[]>;
    const serverPid = s.child.pid!;
    const enginePid = Number(readFileSync(join(s.dataDir, 'instances/iambench/run/mysqld.pid'), 'utf8').trim());
    const cpu = { pw: 0, iam: 0, n: 0 };
    // CPU per concurrent login of each process: front door (server), mariadbd, clients (this process).
    const procs = [serverPid, enginePid, process.pid];
    const cpuN: Record<CpuKey, number[]> = { pwN: [0, 0, 0], iamN: [0, 0, 0], pwR: [0, 0, 0], iamR: [0, 0, 0] };
    const measured = async (key: CpuKey, f: () => Promise<number>) => {
      const c0 = procs.map(cpuMs);
      const r = await f();
      procs.forEach((pid, i) => (cpuN[key][i]! += cpuMs(pid) - c0[i]!));
      return r;
    };
    for (let r = 0; r < ROUNDS; r++) {
      let c0 = cpuMs(serverPid);
      results.pw1.push(await rate(connect.password, PER_ROUND, 1));
      cpu.pw += cpuMs(serverPid) - c0;
      c0 = cpuMs(serverPid);
      results.iam1.push(await rate(connect.iam, PER_ROUND, 1));
      cpu.iam += cpuMs(serverPid) - c0;
      cpu.n += PER_ROUND;
      results.temp1.push(await rate(tempConnect, PER_ROUND, 1));
      results.fresh1.push(await rate(iamFresh, PER_ROUND, 1));
      results.pwN.push(await measured('pwN', () => pool.rate('password', PER_ROUND * 2, CONCURRENCY)));
      results.iamN.push(await measured('iamN', () => pool.rate('iam', PER_ROUND * 2, CONCURRENCY)));
      results.pwR.push(await measured('pwR', () => pool.rate('passwordResumed', PER_ROUND * 2, CONCURRENCY)));
      results.iamR.push(await measured('iamR', () => pool.rate('iamResumed', PER_ROUND * 2, CONCURRENCY)));
      results.pwH.push(await pool.rate('passwordResumed', PER_ROUND * 2, CONCURRENCY_HIGH));
      results.iamH.push(await pool.rate('iamResumed', PER_ROUND * 2, CONCURRENCY_HIGH));
    }
    const perLogin = (xs: number[]) => xs.map((x) => (x / (ROUNDS * PER_ROUND * 2)).toFixed(2)).join(' / ');
    const m = Object.fromEntries(RESULT_KEYS.map((k) => [k, median(results[k])])) as Record<ResultKey, number>;

    // The token's own costs, in this process.
    const N = 2000;
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await signer.getAuthToken();
    const signUs = ((performance.now() - t0) / N) * 1000;
    const key = { secretAccessKey: credentials.secretAccessKey, active: true, principal: 'p' };
    t0 = performance.now();
    for (let i = 0; i < N; i++) await verifyDbAuthToken(token, { user: 'app_iam', host: ep.host, port: ep.port, region: 'us-east-1', now: new Date(), lookupKey: () => key, lookupSession: () => { throw new Error('no temporary credentials in this benchmark'); } });
    const verifyUs = ((performance.now() - t0) / N) * 1000;

    const f = (x: number) => x.toFixed(0);
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(`\n### IAM database authentication logins (${new Date().toISOString().slice(0, 10)})\n`);
    console.log(`Machine: ${machine()}. One tlsql server process; clients (mysql2, verified TLS 1.3, RSA-2048 chain) in this process, concurrent ones on ${THREADS} worker threads; median of ${ROUNDS} interleaved rounds.\n`);
    console.log('| login | clients | password logins/s | IAM logins/s | IAM / password |');
    console.log('|---|---|---|---|---|');
    console.log(`| token reused (as apps do for 15 min) | 1 | ${f(m.pw1)} | ${f(m.iam1)} | ${ratio(m.iam1, m.pw1)} |`);
    console.log(`| token of temporary credentials (AssumeRole), reused | 1 | ${f(m.pw1)} | ${f(m.temp1)} | ${ratio(m.temp1, m.pw1)} |`);
    console.log(`| fresh token per login | 1 | ${f(m.pw1)} | ${f(m.fresh1)} | ${ratio(m.fresh1, m.pw1)} |`);
    console.log(`| token reused | ${CONCURRENCY} | ${f(m.pwN)} | ${f(m.iamN)} | ${ratio(m.iamN, m.pwN)} |`);
    console.log(`| token reused, client resumes its TLS session | ${CONCURRENCY} | ${f(m.pwR)} | ${f(m.iamR)} | ${ratio(m.iamR, m.pwR)} |`);
    console.log(`| token reused, client resumes its TLS session | ${CONCURRENCY_HIGH} | ${f(m.pwH)} | ${f(m.iamH)} | ${ratio(m.iamH, m.pwH)} |`);
    console.log(`| front door (tlsql process) CPU per login, sequential (last column: password CPU / IAM CPU) | 1 | ${(cpu.pw / cpu.n).toFixed(2)} ms | ${(cpu.iam / cpu.n).toFixed(2)} ms | ${ratio(cpu.pw, cpu.iam)} |`);
    console.log(`| CPU per login, full handshake: front door / mariadbd / clients (ms) | ${CONCURRENCY} | ${perLogin(cpuN.pwN)} | ${perLogin(cpuN.iamN)} | - |`);
    console.log(`| CPU per login, resumed session: front door / mariadbd / clients (ms) | ${CONCURRENCY} | ${perLogin(cpuN.pwR)} | ${perLogin(cpuN.iamR)} | - |`);
    console.log(`\nToken signing (@aws-sdk/rds-signer, client): ${signUs.toFixed(0)} µs; token verification (front door, SigV4 + checks, key lookup excluded): ${verifyUs.toFixed(0)} µs.`);
    console.log(`Temporary-credential tokens / long-term-key tokens, same run (target >= 0.9): ${ratio(m.temp1, m.iam1)} (${m.temp1 / m.iam1 >= 0.9 ? 'met' : 'NOT met'}).`);
    const verdict = (iamRate: number, pwRate: number) => `ratio ${iamRate / pwRate >= 0.8 ? 'met' : 'NOT met'}, ${f(iamRate)}/s ${iamRate >= 200 ? 'met' : 'NOT met'}`;
    console.log(
      `Targets (IAM/password >= 0.8, IAM >= 200/s): full handshakes, ${CONCURRENCY} clients: ${verdict(m.iamN, m.pwN)}; resumed sessions, ${CONCURRENCY} clients: ${verdict(m.iamR, m.pwR)}; resumed sessions, ${CONCURRENCY_HIGH} clients: ${verdict(m.iamH, m.pwH)}; each round (${CONCURRENCY_HIGH} clients, resumed): ${results.iamH.map(f).join(', ')}.`,
    );
  } finally {
    await workers?.close();
    await s.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
