/**
 * Connection-security benchmark (docs/benchmarks.md "Client certificates"): new connections per
 * second through the front door with a client certificate (REQUIRE X509 account; the front door
 * verifies it and presents a link certificate with the same subject to the engine) versus without
 * one, in the same run, interleaved in rounds so both see the same machine state. Also the cost of
 * the link certificate itself: issuing one (in process) and the first connection of a new client
 * certificate (issuance included) versus later ones (cached identity, resumed link session).
 *
 *   npm run build && node dist/bench/connection-security.js
 */
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { ClientCertificateAuthority, issueLinkClientCertificate } from '../src/pki/client-ca.js';
import { machine, median, root, startServer, type BenchServer } from './lib.js';

const PASSWORD = 'Bench-pass-1';
const ROUNDS = 10;
const PER_ROUND = 80;

async function instance(s: BenchServer, id: string): Promise<{ host: string; port: number }> {
  await s.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro' }));
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') return { host: i.Endpoint!.Address!, port: i.Endpoint!.Port! };
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function issue(s: BenchServer, subject: string, name: string): { cert: string; key: string } {
  const cert = join(s.dataDir, `${name}.pem`);
  const key = join(s.dataDir, `${name}.key`);
  execFileSync(process.execPath, [join(root, 'bin/tlsql'), '--data-dir', s.dataDir, '--endpoint-url', s.apiUrl, 'issue-client-certificate', '--subject', subject, '--key-type', 'ecdsa-p256', '--cert-out', cert, '--key-out', key], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { cert, key };
}

async function rate(connect: () => Promise<mysql.Connection>, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = await connect();
    await c.query('SELECT 1');
    await c.end();
  }
  return (n / (performance.now() - t0)) * 1000;
}

async function timeOne(connect: () => Promise<mysql.Connection>): Promise<number> {
  const t0 = performance.now();
  const c = await connect();
  await c.query('SELECT 1');
  await c.end();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const s = await startServer(19810, 25100);
  try {
    const ca = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    const ep = await instance(s, 'certbench');
    const app = issue(s, '/C=US/O=bench/CN=app', 'app');
    const appPem = { cert: await readFile(app.cert, 'utf8'), key: await readFile(app.key, 'utf8') };
    const admin = await mysql.createConnection({ ...ep, user: 'admin', password: PASSWORD, ssl: { ca, verifyIdentity: true } });
    await admin.query(`CREATE USER 'plain_tls'@'%' IDENTIFIED BY '${PASSWORD}'`);
    await admin.query(`CREATE USER 'with_cert'@'%' IDENTIFIED BY '${PASSWORD}' REQUIRE X509`);
    await admin.end();

    const without = () => mysql.createConnection({ ...ep, user: 'plain_tls', password: PASSWORD, ssl: { ca, verifyIdentity: true } });
    const withCert = () => mysql.createConnection({ ...ep, user: 'with_cert', password: PASSWORD, ssl: { ca, verifyIdentity: true, ...appPem } });
    for (let i = 0; i < 30; i++) await (await without()).end(); // warm-up: JIT, link contexts, sessions
    for (let i = 0; i < 30; i++) await (await withCert()).end();

    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      a.push(await rate(without, PER_ROUND));
      b.push(await rate(withCert, PER_ROUND));
    }

    // First connection of a client certificate the front door has not seen (link certificate
    // issued on the way) versus the next ones (identity cached, link session resumed).
    const cold: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 10; i++) {
      const fresh = issue(s, `/C=US/O=bench/CN=fresh${i}`, `fresh${i}`);
      const pem = { cert: await readFile(fresh.cert, 'utf8'), key: await readFile(fresh.key, 'utf8') };
      const c = () => mysql.createConnection({ ...ep, user: 'with_cert', password: PASSWORD, ssl: { ca, verifyIdentity: true, ...pem } });
      cold.push(await timeOne(c));
      for (let j = 0; j < 5; j++) warm.push(await timeOne(c));
    }

    // The link certificate alone, in this process: P-256 key + signature by the client CA.
    const masterKey = Buffer.from((await readFile(join(s.dataDir, 'master.key'), 'utf8')).trim(), 'base64');
    const clientCa = new ClientCertificateAuthority({ dir: join(s.dataDir, 'pki'), masterKey, regions: ['us-east-1'] });
    await clientCa.ensure();
    const der = new Uint8Array(new (await import('node:crypto')).X509Certificate(appPem.cert).raw);
    for (let i = 0; i < 20; i++) await issueLinkClientCertificate({ clientCertDer: der, issuer: clientCa.ca('us-east-1').signer, now: new Date() });
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await issueLinkClientCertificate({ clientCertDer: der, issuer: clientCa.ca('us-east-1').signer, now: new Date() });
    const issueMs = (performance.now() - t0) / n;

    const ra = median(a);
    const rb = median(b);
    console.log(`machine: ${machine()}`);
    console.log(`new TLS connections/s (mysql2, sequential, connect + SELECT 1 + quit), ${ROUNDS} interleaved rounds of ${PER_ROUND}, median:`);
    console.log(`  without client certificate: ${ra.toFixed(0)}/s   rounds ${a.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(`  with client certificate (REQUIRE X509): ${rb.toFixed(0)}/s   rounds ${b.map((x) => x.toFixed(0)).join(' ')}`);
    // Each round pair ran back to back, so its ratio is less exposed to load changes than the medians.
    const ratios = a.map((x, i) => b[i]! / x);
    console.log(`  ratio with/without: ${(rb / ra).toFixed(2)} of medians; median of per-round ratios ${median(ratios).toFixed(2)} (target >= 0.7)`);
    console.log(`link certificate: issuing one takes ${issueMs.toFixed(2)} ms (P-256 key + ECDSA signature, in process)`);
    console.log(`  first connection of a new client certificate: median ${median(cold).toFixed(1)} ms; later connections: median ${median(warm).toFixed(1)} ms`);
  } finally {
    await s.stop();
  }
}

await main();
