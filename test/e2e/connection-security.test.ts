import net from 'node:net';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AuthorizeDBSecurityGroupIngressCommand,
  CreateDBParameterGroupCommand,
  CreateDBSecurityGroupCommand,
  DeleteDBSecurityGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBSecurityGroupsCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  RevokeDBSecurityGroupIngressCommand,
} from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { ClientCertificateAuthority } from '../../src/pki/client-ca.js';
import { ensureMasterKey } from '../../src/service/init.js';
import { tlsql } from '../helpers/cli.js';
import { mariadbCli, mysql2Tls, run, statusVar } from '../helpers/clients.js';
import { opensslCa } from '../helpers/pki-fixtures.js';
import { createInstance, engineAdminQuery, startTestService, type TestService } from '../helpers/service.js';

type Db = Awaited<ReturnType<typeof createInstance>>;

let t: TestService;
let plain: Db; // default policy: TLS 1.2 + 1.3
let tls13: Db; // tls_version = TLSv1.3
let legacy: Db; // tls_version = TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3 (insecure, flagged)
let gap: Db; // tls_version = TLSv1.0,TLSv1.3 (a gap)
let rst: Db; // its own group: require_secure_transport toggled at runtime
let netDb: Db; // network allow-list tests

const TLSQL_CLIENT_CA = '/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1';

async function parameterGroup(name: string, params: Record<string, string>): Promise<void> {
  await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: name, DBParameterGroupFamily: 'mariadb10.11', Description: name }));
  await t.rds.send(
    new ModifyDBParameterGroupCommand({
      DBParameterGroupName: name,
      Parameters: Object.entries(params).map(([k, v]) => ({ ParameterName: k, ParameterValue: v, ApplyMethod: k === 'tls_version' ? 'pending-reboot' : 'immediate' })),
    }),
  );
}

function cli(args: string[]) {
  return tlsql(t.dataDir, ['--endpoint-url', t.service.apiUrl, '--output', 'json', ...args]);
}

/** `openssl s_client -starttls mysql` with one protocol version; returns the negotiated protocol or null. */
async function sClient(db: Db, versionFlag: string): Promise<string | null> {
  const legacyFlags = versionFlag === '-tls1' || versionFlag === '-tls1_1' ? ['-cipher', 'DEFAULT@SECLEVEL=0'] : [];
  const r = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath, versionFlag, ...legacyFlags], { input: '' });
  if (!/New, TLSv1(\.\d)?, Cipher is/.test(r.stdout)) return null;
  expect(r.stdout).toContain('Verify return code: 0 (ok)');
  // Below TLS 1.3 the "New, ..." line names the cipher's own version; the session block has the
  // negotiated one. TLS 1.3 prints no session block before the client leaves.
  if (/New, TLSv1\.3, Cipher is/.test(r.stdout)) return 'TLSv1.3';
  return /^\s*Protocol\s*:\s*(TLSv1(?:\.\d)?)\s*$/m.exec(r.stdout)?.[1] ?? 'unknown';
}

/** What a raw TCP client receives before the server closes (or 500 ms pass). */
function firstBytes(host: string, port: number): Promise<{ bytes: number; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let bytes = 0;
    const done = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ bytes, closed });
    };
    const timer = setTimeout(() => done(false), 500);
    s.on('data', (d) => {
      bytes += d.length;
      done(false);
    });
    s.on('close', () => done(true));
    s.on('error', () => done(true));
  });
}

async function metrics(): Promise<string> {
  return (await fetch(`${t.service.apiUrl}/metrics`)).text();
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

beforeAll(async () => {
  t = await startTestService();
  await parameterGroup('tls13-only', { tls_version: 'TLSv1.3' });
  await parameterGroup('legacy-tls', { tls_version: 'TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3' });
  await parameterGroup('tls-gap', { tls_version: 'TLSv1.0,TLSv1.3' });
  await parameterGroup('rst-group', { require_secure_transport: '0' });
  [plain, tls13, legacy, gap, rst, netDb] = await Promise.all([
    createInstance(t, 'sec-default'),
    createInstance(t, 'sec-tls13', { DBParameterGroupName: 'tls13-only' }),
    createInstance(t, 'sec-legacy', { DBParameterGroupName: 'legacy-tls' }),
    createInstance(t, 'sec-gap', { DBParameterGroupName: 'tls-gap' }),
    createInstance(t, 'sec-rst', { DBParameterGroupName: 'rst-group' }),
    createInstance(t, 'sec-net'),
  ]);
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('TLS versions and ciphers', () => {
  it('accepts exactly the protocol versions each policy allows (openssl s_client -starttls mysql)', async () => {
    const flags = ['-tls1', '-tls1_1', '-tls1_2', '-tls1_3'] as const;
    const expected: [Db, (string | null)[]][] = [
      [plain, [null, null, 'TLSv1.2', 'TLSv1.3']],
      [tls13, [null, null, null, 'TLSv1.3']],
      [legacy, ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']],
      [gap, ['TLSv1', null, null, 'TLSv1.3']],
    ];
    for (const [db, want] of expected) {
      const got = await Promise.all(flags.map((f) => sClient(db, f)));
      expect({ instance: db.instance.DBInstanceIdentifier, got }).toEqual({ instance: db.instance.DBInstanceIdentifier, got: want });
    }
  });

  it('shows sslscan no protocol below TLS 1.2 and only forward-secret AEAD suites on a default instance', async () => {
    const r = await run('sslscan', ['--starttls-mysql', '--no-colour', `127.0.0.1:${plain.port}`], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    for (const p of ['SSLv2', 'SSLv3', 'TLSv1.0', 'TLSv1.1']) expect(r.stdout).toMatch(new RegExp(`^${p.replace('.', '\\.')}\\s+disabled`, 'm'));
    expect(r.stdout).toMatch(/^TLSv1\.2\s+enabled/m);
    expect(r.stdout).toMatch(/^TLSv1\.3\s+enabled/m);
    const suites = [...r.stdout.matchAll(/^(?:Preferred|Accepted)\s+(TLSv1\.[23])\s+\d+ bits\s+(\S+)/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(suites.length).toBeGreaterThanOrEqual(4);
    for (const s of suites) {
      expect(s).toMatch(/^TLSv1\.3 TLS_|^TLSv1\.2 ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/);
      expect(s).not.toMatch(/RC4|3DES|DES-CBC|NULL|EXP|anon|MD5|-SHA$|CBC/);
    }
    expect(r.stdout).not.toMatch(/vulnerable to heartbleed(?<!not vulnerable to heartbleed)/);
    // Client-initiated renegotiation is refused (SSL_OP_NO_RENEGOTIATION, native/core/tls-context.cc).
    expect(r.stdout).toMatch(/Session renegotiation not supported/);
    expect(r.stdout).not.toMatch(/Secure session renegotiation supported|Insecure session renegotiation supported/);
    expect(r.stdout).not.toMatch(/Compression enabled/);
  });

  it('lets a legacy TLS 1.0 client log in where allowed, with its cipher mirrored on a TLS 1.2 link, and flags the instance', async () => {
    const c = await mysql.createConnection({
      host: legacy.host,
      port: legacy.port,
      user: legacy.user,
      password: legacy.password,
      ssl: { ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' } as mysql.SslOptions,
    });
    try {
      const stream = (c as unknown as { connection: { stream: { getProtocol(): string; getCipher(): { name: string } } } }).connection.stream;
      expect(stream.getProtocol()).toBe('TLSv1');
      expect(await statusVar(c, 'Ssl_cipher')).toBe(stream.getCipher().name);
      expect(await statusVar(c, 'Ssl_version')).toBe('TLSv1.2');
    } finally {
      await c.end();
    }
    const out = await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'sec-legacy' }));
    expect(out.DBInstances![0]!.StatusInfos).toEqual([expect.objectContaining({ StatusType: 'tls-policy', Normal: false, Status: 'insecure-tls-versions' })]);
    const normal = await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'sec-default' }));
    expect(normal.DBInstances![0]!.StatusInfos ?? []).toEqual([]);
    expect(t.logs.some((l) => l.includes('insecure legacy TLS') && l.includes('sec-legacy'))).toBe(true);
    expect(metricValue(await metrics(), 'tlsql_tls_insecure_versions_allowed', { instance: 'sec-legacy' })).toBe(1);
  });

  it('refuses a TLS 1.0 client on the default instance and counts it as a policy refusal', async () => {
    const before = metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'sec-default', reason: 'tls_policy' });
    await expect(
      mysql.createConnection({ host: plain.host, port: plain.port, user: plain.user, password: plain.password, ssl: { ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' } as mysql.SslOptions }),
    ).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect(metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'sec-default', reason: 'tls_policy' })).toBe(before + 1);
  });

  it('rejects tls_version values MariaDB does not know through the API', async () => {
    await expect(
      t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'tls13-only', Parameters: [{ ParameterName: 'tls_version', ParameterValue: 'TLSv1', ApplyMethod: 'pending-reboot' }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('require_secure_transport', () => {
  it('refuses plaintext logins with 3159 before any credential reaches the engine, leaves TLS logins alone, and closes old plaintext sessions on request', async () => {
    const admin = await mysql2Tls({ ...rst, ca: t.bundlePath });
    await admin.query("CREATE USER 'probe_plain_user'@'%' IDENTIFIED BY 'Probe-pass-1'");
    const oldPlain = await mysql.createConnection({ host: rst.host, port: rst.port, user: rst.user, password: rst.password });
    const oldTls = await mysql2Tls({ ...rst, ca: t.bundlePath });
    try {
      await t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'rst-group', Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '1', ApplyMethod: 'immediate' }] }));
      await engineAdminQuery(t, 'sec-rst', "SET GLOBAL log_output = 'TABLE'");
      await engineAdminQuery(t, 'sec-rst', 'SET GLOBAL general_log = ON');
      await admin.query('TRUNCATE mysql.general_log');
      const [[deniedBefore]] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Access_denied_errors'");

      const r = await mariadbCli({ ...rst, user: 'probe_plain_user', password: 'Probe-pass-1', sql: 'SELECT 1', extra: ['--skip-ssl'] });
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim()).toBe('ERROR 3159 (08004): Connections using insecure transport are prohibited while --require_secure_transport=ON.');
      await expect(mysql.createConnection({ host: rst.host, port: rst.port, user: 'probe_plain_user', password: 'Probe-pass-1' })).rejects.toMatchObject({ errno: 3159, sqlState: '08004' });

      // Positive control: a wrong password over TLS does reach the engine and its general log.
      await expect(mysql2Tls({ ...rst, user: 'probe_tls_user', password: 'wrong', ca: t.bundlePath })).rejects.toMatchObject({ errno: 1045 });
      const [log] = await admin.query<mysql.RowDataPacket[]>("SELECT argument FROM mysql.general_log WHERE argument LIKE '%probe\\_%'");
      const seen = log.map((row) => String(row.argument));
      expect(seen.some((a) => a.includes('probe_tls_user'))).toBe(true);
      expect(seen.some((a) => a.includes('probe_plain_user'))).toBe(false);
      const [[deniedAfter]] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Access_denied_errors'");
      expect(Number(deniedAfter!.Value) - Number(deniedBefore!.Value)).toBe(1); // the TLS one only
      await engineAdminQuery(t, 'sec-rst', 'SET GLOBAL general_log = OFF');

      const tlsLogin = await mariadbCli({ ...rst, user: 'probe_plain_user', password: 'Probe-pass-1', ca: t.bundlePath, sql: "SHOW SESSION STATUS LIKE 'Ssl_version'" });
      expect(tlsLogin.stderr).toBe('');
      expect(tlsLogin.stdout).toMatch(/Ssl_version\tTLSv1\.3/);

      // Sessions opened before the switch keep running until the operator closes them.
      const [rows] = await oldPlain.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
      expect(rows[0]!.one).toBe(1);
      const listed = JSON.parse((await cli(['describe-db-connections', '--db-instance-identifier', 'sec-rst'])).stdout) as { Connections: Record<string, unknown>[] };
      expect(listed.Connections.filter((c) => c.Transport === 'plaintext')).toHaveLength(1);
      const closed = await cli(['close-db-connections', '--db-instance-identifier', 'sec-rst', '--transport', 'plaintext']);
      expect(closed.code).toBe(0);
      const closedList = (JSON.parse(closed.stdout) as { Connections: Record<string, unknown>[] }).Connections;
      expect(closedList).toEqual([expect.objectContaining({ Transport: 'plaintext', User: rst.user })]);
      await expect(oldPlain.query('SELECT 1')).rejects.toThrow();
      const [still] = await oldTls.query<mysql.RowDataPacket[]>('SELECT 2 AS two');
      expect(still[0]!.two).toBe(2);
      expect(metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'sec-rst', reason: 'require_secure_transport' })).toBe(2);
    } finally {
      oldPlain.destroy();
      await oldTls.end().catch(() => {});
      await admin.end();
      await t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'rst-group', Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '0', ApplyMethod: 'immediate' }] }));
    }
  });
});

describe('client certificate requests', () => {
  /** The client-CA list the endpoint sends in its CertificateRequest, as openssl s_client prints it. */
  async function requestedCas(db: Db): Promise<string> {
    const r = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath], { input: '' });
    expect(r.stdout).toContain('Verify return code: 0 (ok)');
    return r.stdout;
  }

  // Runs before 'client certificates' below issues certificates: until then this service has issued none.
  it('asks for no client certificate until one could be trusted, and for one from the moment tlsql issues one', async () => {
    expect(await requestedCas(netDb)).toContain('No client certificate CA names sent');
    const c = await mysql2Tls({ ...netDb, ca: t.bundlePath });
    expect(await statusVar(c, 'Ssl_version')).toBe('TLSv1.3');
    await c.end();

    await t.service.control.connectionSecurity.issueClientCertificate({ subject: '/C=US/O=acme/CN=first' });
    // No restart, no wait: the certificate is usable on the first connection after it is returned.
    const out = await requestedCas(netDb);
    expect(out).toContain('Acceptable client certificate CA names');
    expect(out).toMatch(/CN ?= ?tlsql us-east-1 Client CA G1/);
  });
});

describe('client certificates', () => {
  let app1: { cert: string; key: string };
  let app2: { cert: string; key: string };
  let expired: { cert: string; key: string };
  const operator = () => operatorCa;
  let operatorCa: ReturnType<typeof opensslCa>;
  let stranger: ReturnType<typeof opensslCa>;
  const OPERATOR_SUBJECT = '/C=US/O=Operator Inc/CN=Operator Client CA';

  beforeAll(async () => {
    // Through the real CLI: subject from flags, key written once to a 0600 file.
    const dir = t.dataDir;
    const issued = await cli(['issue-client-certificate', '--subject', '/C=US/O=acme/CN=app1', '--cert-out', join(dir, 'app1.pem'), '--key-out', join(dir, 'app1.key'), '--ca-out', join(dir, 'client-ca.pem')]);
    expect(issued.stderr).toBe('');
    const out = JSON.parse(issued.stdout) as { ClientCertificate: Record<string, unknown> };
    expect(out.ClientCertificate).toMatchObject({ Subject: '/C=US/O=acme/CN=app1', Issuer: TLSQL_CLIENT_CA, PrivateKeyFile: join(dir, 'app1.key') });
    expect(out.ClientCertificate.PrivateKeyPem).toBeUndefined();
    app1 = { cert: join(dir, 'app1.pem'), key: join(dir, 'app1.key') };
    const c2 = await t.service.control.connectionSecurity.issueClientCertificate({ subject: '/C=US/O=acme/CN=app2', keyType: 'ecdsa-p256' });
    await writeFile(join(dir, 'app2.pem'), c2.certPem);
    await writeFile(join(dir, 'app2.key'), c2.keyPem, { mode: 0o600 });
    app2 = { cert: join(dir, 'app2.pem'), key: join(dir, 'app2.key') };
    // Issued by the region's real client CA, but in 2020 (a ManualClock): expired now.
    const past = new ClientCertificateAuthority({ dir: join(dir, 'pki'), masterKey: await ensureMasterKey(dir), regions: ['us-east-1'], clock: new ManualClock('2020-01-01T00:00:00Z') });
    const old = await past.issueClientCertificate({ region: 'us-east-1', subject: [{ C: ['US'] }, { O: ['acme'] }, { CN: ['app1'] }], validityHours: 24 });
    await writeFile(join(dir, 'expired.pem'), old.certPem);
    await writeFile(join(dir, 'expired.key'), old.keyPem, { mode: 0o600 });
    expired = { cert: join(dir, 'expired.pem'), key: join(dir, 'expired.key') };

    operatorCa = opensslCa(OPERATOR_SUBJECT);
    stranger = opensslCa('/C=US/O=Stranger/CN=Untrusted CA');
    const imported = await cli(['import-client-certificate-authority', '--db-instance-identifier', 'sec-default', '--certificate-file', operatorCa.certPath]);
    expect(imported.stderr).toBe('');
    expect(JSON.parse(imported.stdout).ClientCertificateAuthority).toMatchObject({ Subject: OPERATOR_SUBJECT, Source: 'operator' });

    const admin = await mysql2Tls({ ...plain, ca: t.bundlePath });
    for (const sql of [
      "CREATE USER 'x509_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE X509",
      "CREATE USER 'subject_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE SUBJECT '/C=US/O=acme/CN=app1'",
      `CREATE USER 'issuer_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE ISSUER '${TLSQL_CLIENT_CA}'`,
      `CREATE USER 'both_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE SUBJECT '/C=US/O=acme/CN=app1' AND ISSUER '${TLSQL_CLIENT_CA}'`,
      `CREATE USER 'op_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE SUBJECT '/C=US/O=acme/CN=app1' AND ISSUER '${OPERATOR_SUBJECT}'`,
      "CREATE USER 'cipher13_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE CIPHER 'TLS_AES_256_GCM_SHA384'",
      "CREATE USER 'cipher12_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE CIPHER 'ECDHE-RSA-AES128-GCM-SHA256'",
      "CREATE USER 'free_user'@'%' IDENTIFIED BY 'Cert-pass-1'",
    ]) {
      await admin.query(sql);
    }
    await admin.end();
  });

  function login(user: string, cert?: { cert: string; key: string }) {
    return mariadbCli({
      ...plain,
      user,
      password: 'Cert-pass-1',
      ca: t.bundlePath,
      sql: "SELECT CURRENT_USER(); SHOW SESSION STATUS LIKE 'Ssl_version'",
      extra: cert ? [`--ssl-cert=${cert.cert}`, `--ssl-key=${cert.key}`] : [],
    });
  }
  const denied = (user: string) => new RegExp(`^ERROR 1045 \\(28000\\): Access denied for user '${user}'@'(127\\.0\\.0\\.1|::1)' \\(using password: YES\\)\\n$`);

  it('accepts the right certificate with the Debian mariadb client for REQUIRE X509, SUBJECT, ISSUER and both', async () => {
    for (const user of ['x509_user', 'subject_user', 'issuer_user', 'both_user']) {
      const r = await login(user, app1);
      expect({ user, stderr: r.stderr }).toEqual({ user, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^${user}@%\\nSsl_version\\tTLSv1\\.3\\n$`));
    }
  });

  it('refuses with 1045: no certificate, wrong subject, wrong issuer, expired, untrusted CA', async () => {
    const strangerCert = stranger.issue('/C=US/O=acme/CN=app1', 'stranger-app1');
    const operatorCert = operator().issue('/C=US/O=acme/CN=app1', 'op-app1');
    const cases: [string, { cert: string; key: string } | undefined][] = [
      ['x509_user', undefined], // no certificate
      ['subject_user', undefined],
      ['subject_user', app2], // wrong subject
      ['both_user', app2],
      ['issuer_user', { cert: operatorCert.certPath, key: operatorCert.keyPath }], // wrong issuer (same subject, trusted operator CA)
      ['both_user', { cert: operatorCert.certPath, key: operatorCert.keyPath }],
      ['x509_user', expired], // expired (issued with a ManualClock in 2020)
      ['free_user', expired], // refused by the front door whatever the account requires
      ['x509_user', { cert: strangerCert.certPath, key: strangerCert.keyPath }], // untrusted CA
      ['free_user', { cert: strangerCert.certPath, key: strangerCert.keyPath }],
    ];
    for (const [user, cert] of cases) {
      const r = await login(user, cert);
      expect({ user, cert: cert?.cert, code: r.code, stderr: r.stderr }).toEqual({ user, cert: cert?.cert, code: 1, stderr: expect.stringMatching(denied(user)) });
    }
    expect(t.logs.some((l) => l.includes('client certificate refused') && l.includes('CERT_HAS_EXPIRED'))).toBe(true);
  });

  it("accepts an operator CA's certificate for REQUIRE ISSUER naming that CA (engine sees a shadow with the same subject)", async () => {
    const operatorCert = operator().issue('/C=US/O=acme/CN=app1', 'op-app1-ok');
    const r = await login('op_user', { cert: operatorCert.certPath, key: operatorCert.keyPath });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^op_user@%\n/);
    // And not with tlsql's certificate of the same subject.
    expect((await login('op_user', app1)).stderr).toMatch(denied('op_user'));
  });

  it('works the same with mysql2 (cert/key in ssl options), and shows the subject in describe-db-connections', async () => {
    const ssl = (cert?: { cert: string; key: string }, extra: Record<string, unknown> = {}) =>
      ({ ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true, ...(cert ? { cert: readFileSync(cert.cert, 'utf8'), key: readFileSync(cert.key, 'utf8') } : {}), ...extra }) as mysql.SslOptions;
    const connect = (user: string, cert?: { cert: string; key: string }, extra: Record<string, unknown> = {}) =>
      mysql.createConnection({ host: plain.host, port: plain.port, user, password: 'Cert-pass-1', ssl: ssl(cert, extra) });

    const c = await connect('both_user', app1);
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS u');
      expect(rows[0]!.u).toBe('both_user@%');
      const listed = await t.service.control.connectionSecurity.describeDbConnections({ dbInstanceIdentifier: 'sec-default' });
      const mine = listed.find((x) => x.user === 'both_user');
      expect(mine).toMatchObject({ transport: 'tls', tlsVersion: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', clientCertificateSubject: '/C=US/O=acme/CN=app1', clientCertificateIssuer: TLSQL_CLIENT_CA, phase: 'authenticated' });
      expect(mine!.bytesIn).toBeGreaterThan(0);
      expect(mine!.bytesOut).toBeGreaterThan(0);
      const viaCli = JSON.parse((await cli(['describe-db-connections', '--db-instance-identifier', 'sec-default'])).stdout) as { Connections: Record<string, unknown>[] };
      expect(viaCli.Connections).toContainEqual(
        expect.objectContaining({ User: 'both_user', Transport: 'tls', TlsVersion: 'TLSv1.3', Cipher: 'TLS_AES_256_GCM_SHA384', ClientCertificateSubject: '/C=US/O=acme/CN=app1', StartTime: expect.any(String), BytesIn: expect.any(Number), BytesOut: expect.any(Number) }),
      );
    } finally {
      await c.end();
    }
    await expect(connect('x509_user')).rejects.toMatchObject({ errno: 1045 });
    await expect(connect('subject_user', app2)).rejects.toMatchObject({ errno: 1045 });
    await expect(connect('x509_user', expired)).rejects.toMatchObject({ errno: 1045 });

    // REQUIRE CIPHER: the client's negotiated cipher is what the engine sees on the link.
    const c13 = await connect('cipher13_user');
    await c13.end();
    await expect(connect('cipher13_user', undefined, { maxVersion: 'TLSv1.2' })).rejects.toMatchObject({ errno: 1045 });
    const c12 = await connect('cipher12_user', undefined, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    expect(await statusVar(c12, 'Ssl_cipher')).toBe('ECDHE-RSA-AES128-GCM-SHA256');
    await c12.end();
    await expect(connect('cipher12_user')).rejects.toMatchObject({ errno: 1045 });

    const m = await metrics();
    expect(metricValue(m, 'tlsql_client_certificates_total', { instance: 'sec-default', result: 'trusted' })).toBeGreaterThan(0);
    expect(metricValue(m, 'tlsql_client_certificates_total', { instance: 'sec-default', result: 'refused' })).toBeGreaterThan(0);
    expect(metricValue(m, 'tlsql_connection_refusals_total', { instance: 'sec-default', reason: 'client_certificate' })).toBeGreaterThan(0);
    expect(metricValue(m, 'tlsql_connection_refusals_total', { instance: 'sec-default', reason: 'auth' })).toBeGreaterThan(0);
  });

  it('stops trusting a removed operator CA for new connections', async () => {
    const list = JSON.parse((await cli(['describe-client-certificate-authorities', '--db-instance-identifier', 'sec-default'])).stdout) as { ClientCertificateAuthorities: Record<string, string>[] };
    expect(list.ClientCertificateAuthorities.map((c) => [c.Source, c.Subject])).toEqual([
      ['tlsql', TLSQL_CLIENT_CA],
      ['operator', OPERATOR_SUBJECT],
    ]);
    const thumbprint = list.ClientCertificateAuthorities[1]!.Thumbprint!;
    expect((await cli(['remove-client-certificate-authority', '--db-instance-identifier', 'sec-default', '--thumbprint', thumbprint])).code).toBe(0);
    const operatorCert = operator().issue('/C=US/O=acme/CN=app1', 'op-app1-late');
    expect((await login('op_user', { cert: operatorCert.certPath, key: operatorCert.keyPath })).stderr).toMatch(denied('op_user'));
    expect((await login('both_user', app1)).stderr).toBe('');
  });
});

describe('network allow-list (DB security groups)', () => {
  it('closes refused connections before the greeting, counts them, and follows rule changes at runtime', async () => {
    const refusals = async () => metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'sec-net', reason: 'allow_list' });
    // Default: no DB security group, every address reaching the loopback listeners may connect.
    expect(await firstBytes('127.0.0.1', netDb.port)).toMatchObject({ bytes: expect.any(Number) });
    expect((await firstBytes('127.0.0.1', netDb.port)).bytes).toBeGreaterThan(0);

    await t.rds.send(new CreateDBSecurityGroupCommand({ DBSecurityGroupName: 'office', DBSecurityGroupDescription: 'office network' }));
    const modified = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'sec-net', DBSecurityGroups: ['office'], ApplyImmediately: true }));
    expect(modified.DBInstance!.DBSecurityGroups).toEqual([{ DBSecurityGroupName: 'office', Status: 'active' }]);

    // A group without rules allows nothing.
    const before = await refusals();
    expect(await firstBytes('127.0.0.1', netDb.port)).toEqual({ bytes: 0, closed: true });
    expect(await firstBytes('::1', netDb.port)).toEqual({ bytes: 0, closed: true });
    expect(await refusals()).toBe(before + 2);
    await expect(mysql.createConnection({ host: '127.0.0.1', port: netDb.port, user: netDb.user, password: netDb.password })).rejects.toThrow();

    // IPv4 rule through the SDK: 127.0.0.1 in, ::1 still out.
    await t.rds.send(new AuthorizeDBSecurityGroupIngressCommand({ DBSecurityGroupName: 'office', CIDRIP: '127.0.0.0/8' }));
    const v4 = await mysql.createConnection({ host: '127.0.0.1', port: netDb.port, user: netDb.user, password: netDb.password });
    await v4.end();
    expect(await firstBytes('::1', netDb.port)).toEqual({ bytes: 0, closed: true });

    // IPv6 rule through the CLI.
    const auth = await cli(['authorize-db-security-group-ingress', '--db-security-group-name', 'office', '--cidrip', '::1/128']);
    expect(auth.stderr).toBe('');
    expect((await firstBytes('::1', netDb.port)).bytes).toBeGreaterThan(0);
    const described = await t.rds.send(new DescribeDBSecurityGroupsCommand({ DBSecurityGroupName: 'office' }));
    expect(described.DBSecurityGroups![0]!.IPRanges).toEqual([
      { Status: 'authorized', CIDRIP: '127.0.0.0/8' },
      { Status: 'authorized', CIDRIP: '::1/128' },
    ]);

    // Revoked: refused again at once; in use: cannot be deleted.
    await t.rds.send(new RevokeDBSecurityGroupIngressCommand({ DBSecurityGroupName: 'office', CIDRIP: '127.0.0.0/8' }));
    expect(await firstBytes('127.0.0.1', netDb.port)).toEqual({ bytes: 0, closed: true });
    await expect(t.rds.send(new DeleteDBSecurityGroupCommand({ DBSecurityGroupName: 'office' }))).rejects.toMatchObject({ Code: 'InvalidDBSecurityGroupState' });
    await expect(t.rds.send(new AuthorizeDBSecurityGroupIngressCommand({ DBSecurityGroupName: 'office', CIDRIP: '10.0.0.0/33' }))).rejects.toMatchObject({ Code: 'InvalidParameterValue' });
    expect(t.logs.some((l) => l.includes('connection refused by the network allow-list'))).toBe(true);

    // Detached: back to the default.
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'sec-net', DBSecurityGroups: [], ApplyImmediately: true }));
    expect((await firstBytes('127.0.0.1', netDb.port)).bytes).toBeGreaterThan(0);
    await t.rds.send(new DeleteDBSecurityGroupCommand({ DBSecurityGroupName: 'office' }));
  });
});

describe('metrics', () => {
  it('exports connections by TLS version and cipher, refusals by reason, a handshake histogram and certificate expiry', async () => {
    const c = await mysql2Tls({ ...plain, ca: t.bundlePath });
    try {
      const m = await metrics();
      expect(metricValue(m, 'tlsql_connections', { instance: 'sec-default', transport: 'tls', tls_version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(m, 'tlsql_connections_total', { instance: 'sec-default', transport: 'tls', tls_version: 'TLSv1.3' })).toBeGreaterThan(0);
      for (const reason of ['allow_list', 'tls_policy', 'require_secure_transport', 'client_certificate', 'auth']) {
        expect(m).toContain(`tlsql_connection_refusals_total{instance="sec-default",reason="${reason}"}`);
      }
      expect(m).toMatch(/tlsql_handshake_duration_seconds_bucket\{instance="sec-default",le="\+Inf"\} [1-9]/);
      expect(m).toMatch(/tlsql_handshake_duration_seconds_count\{instance="sec-default"\} [1-9]/);
      const serverExpiry = metricValue(m, 'tlsql_certificate_expiry_timestamp_seconds', { kind: 'server', instance: 'sec-default' });
      expect(serverExpiry * 1000).toBeGreaterThan(Date.now() + 300 * 86_400_000);
      expect(m).toMatch(/tlsql_certificate_expiry_timestamp_seconds\{kind="client_ca",ca="client",region="us-east-1"\} \d+/);
      expect(m).toMatch(/tlsql_certificate_expiry_timestamp_seconds\{kind="ca_root",ca="tlsql-ca-rsa2048-g1",region="us-east-1"\} \d+/);
    } finally {
      await c.end();
    }
  });
});
