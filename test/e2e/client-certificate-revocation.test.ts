import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCertificateAuthority, parseOnelineSubject } from '../../src/pki/client-ca.js';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { ensureMasterKey } from '../../src/service/init.js';
import { startService } from '../../src/service/service.js';
import { tlsql } from '../helpers/cli.js';
import { mariadbCli, mysql2Tls, run } from '../helpers/clients.js';
import { opensslCa } from '../helpers/pki-fixtures.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

type Db = Awaited<ReturnType<typeof createInstance>>;
type Cert = { cert: string; key: string; serial: string };

let t: TestService;
let db: Db;
let lost: Cert; // revoked in the first test
let sibling: Cert; // same subject family, never revoked
/** The operator CA's certificate its imported CRL revokes (set by the operator CRL test). */
let operatorRevoked: { cert: string; key: string; serial: string } | undefined;
/** The operator CA whose CRL was imported, and a certificate of it the CRL does not list. */
let operator: { caPath: string; good: { cert: string; key: string } } | undefined;
const CRL_NAME = 'us-east-1-client-ca-g1';

function cli(args: string[]) {
  return tlsql(t.dataDir, ['--endpoint-url', t.service.apiUrl, '--output', 'json', ...args]);
}

/** Issues a client certificate through the real CLI, certificate and key written to files. */
async function issue(name: string): Promise<Cert> {
  const cert = join(t.dataDir, `${name}.pem`);
  const key = join(t.dataDir, `${name}.key`);
  const r = await cli(['issue-client-certificate', '--subject', `/C=US/O=acme/CN=${name}`, '--cert-out', cert, '--key-out', key, '--key-type', 'ecdsa-p256']);
  expect(r.stderr).toBe('');
  return { cert, key, serial: String((JSON.parse(r.stdout) as { ClientCertificate: { SerialNumber: string } }).ClientCertificate.SerialNumber) };
}

function login(user: string, c: { cert: string; key: string }) {
  return mariadbCli({ ...db, user, password: 'Cert-pass-1', ca: t.bundlePath, sql: 'SELECT CURRENT_USER()', extra: [`--ssl-cert=${c.cert}`, `--ssl-key=${c.key}`] });
}

function mysql2Login(user: string, c: { cert: string; key: string }) {
  return mysql.createConnection({
    host: db.host,
    port: db.port,
    user,
    password: 'Cert-pass-1',
    ssl: { ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true, cert: readFileSync(c.cert, 'utf8'), key: readFileSync(c.key, 'utf8') },
  });
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** `ERROR 1045 (28000): Access denied for user '<user>'@'<addr>': client certificate serial <serial> was revoked on <date> (<reason>)`. */
const revokedError = (user: string, serial: string, reason: string) =>
  new RegExp(`^ERROR 1045 \\(28000\\): Access denied for user '${user}'@'(127\\.0\\.0\\.1|::1)': client certificate serial ${serial} was revoked on \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(${reason}\\)\\n$`);

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'rev-db');
  const admin = await mysql2Tls({ ...db, ca: t.bundlePath });
  await admin.query("CREATE USER 'x509_user'@'%' IDENTIFIED BY 'Cert-pass-1' REQUIRE X509");
  await admin.query("CREATE USER 'free_user'@'%' IDENTIFIED BY 'Cert-pass-1'");
  await admin.end();
  lost = await issue('lost');
  sibling = await issue('sibling');
}, 180_000);

afterAll(async () => {
  await t?.close();
});

describe('revoking a tlsql client certificate', () => {
  it('refuses it at login with an error saying it is revoked, closes its live session, and leaves its sibling alone', async () => {
    expect((await login('x509_user', lost)).stdout).toBe('x509_user@%\n');
    const live = await mysql2Login('x509_user', lost);
    const liveErrors: Error[] = [];
    live.on('error', (e: Error) => liveErrors.push(e));
    const liveSibling = await mysql2Login('x509_user', sibling);
    try {
      await live.query('SELECT 1');
      const r = await cli(['revoke-client-certificate', '--serial', lost.serial, '--reason', 'keyCompromise']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { ClientCertificate: Record<string, unknown>; Connections: Record<string, unknown>[] };
      expect(out.ClientCertificate).toMatchObject({ SerialNumber: lost.serial, Subject: '/C=US/O=acme/CN=lost', Revoked: true, RevocationReason: 'keyCompromise', RevocationDate: expect.any(String) });
      expect(out.Connections).toEqual([expect.objectContaining({ User: 'x509_user', ClientCertificateSubject: '/C=US/O=acme/CN=lost', Phase: 'authenticated' })]);

      // The live session is gone; the sibling's session goes on.
      await expect(live.query('SELECT 1')).rejects.toThrow();
      const [rows] = await liveSibling.query<mysql.RowDataPacket[]>('SELECT 2 AS two');
      expect(rows[0]!.two).toBe(2);
    } finally {
      live.destroy();
      await liveSibling.end();
    }

    // New logins: refused with the reason, by the mariadb CLI and mysql2, whatever the account requires.
    for (const user of ['x509_user', 'free_user']) {
      const r = await login(user, lost);
      expect({ user, code: r.code, stderr: r.stderr }).toEqual({ user, code: 1, stderr: expect.stringMatching(revokedError(user, lost.serial, 'keyCompromise')) });
    }
    await expect(mysql2Login('free_user', lost)).rejects.toMatchObject({ errno: 1045, sqlState: '28000', message: expect.stringContaining(`client certificate serial ${lost.serial} was revoked on`) });
    expect((await login('x509_user', sibling)).stdout).toBe('x509_user@%\n');

    expect(await metricValue('tlsql_connection_refusals_total', { instance: 'rev-db', reason: 'revoked' })).toBe(3);
    expect(await metricValue('tlsql_sessions_closed_total', { instance: 'rev-db', reason: 'revoked' })).toBe(1);
    expect(t.logs.some((l) => l.includes('client certificate refused') && l.includes(`certificate serial ${lost.serial} was revoked`))).toBe(true);
  }, 240_000);

  it('publishes a CRL (DER and PEM, no credentials) that openssl reads and verifies against the client CA, listing the serial with its reason', async () => {
    const caPath = join(t.dataDir, 'client-ca.pem');
    const cas = JSON.parse((await cli(['describe-client-certificate-authorities', '--db-instance-identifier', 'rev-db'])).stdout) as { ClientCertificateAuthorities: Record<string, string>[] };
    const own = cas.ClientCertificateAuthorities.find((c) => c.Source === 'tlsql')!;
    await writeFile(caPath, own.CertificatePem!);
    const url = `${t.service.apiUrl}/crl/${CRL_NAME}.crl`;
    expect(own.CrlUrl).toBe(url);
    // New certificates name that URL as their CRL distribution point.
    expect((await run('openssl', ['x509', '-in', lost.cert, '-noout', '-ext', 'crlDistributionPoints'])).stdout).toContain(`URI:${url}`);

    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pkix-crl');
    const der = join(t.dataDir, 'client.crl');
    await writeFile(der, Buffer.from(await res.arrayBuffer()));
    const text = await run('openssl', ['crl', '-inform', 'DER', '-in', der, '-noout', '-text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`Serial Number: ${lost.serial.toUpperCase()}\\n\\s*Revocation Date: .*\\n\\s*CRL entry extensions:\\n\\s*X509v3 CRL Reason Code: *\\n\\s*Key Compromise`));
    expect(text.stdout).not.toContain(sibling.serial.toUpperCase());
    const lastUpdate = Date.parse(/Last Update: (.+)/.exec(text.stdout)![1]!);
    const nextUpdate = Date.parse(/Next Update: (.+)/.exec(text.stdout)![1]!);
    expect(nextUpdate - lastUpdate).toBe(24 * 3600 * 1000);
    expect((await run('openssl', ['crl', '-inform', 'DER', '-in', der, '-CAfile', caPath, '-verify', '-noout'])).stderr.trim()).toBe('verify OK');

    const pemRes = await fetch(`${t.service.apiUrl}/crl/${CRL_NAME}.pem`);
    expect(pemRes.headers.get('content-type')).toBe('application/x-pem-file');
    const pemPath = join(t.dataDir, 'client.crl.pem');
    await writeFile(pemPath, await pemRes.text());
    expect((await run('openssl', ['crl', '-in', pemPath, '-CAfile', caPath, '-verify', '-noout'])).stderr.trim()).toBe('verify OK');
    // A relying party checking the CRL itself refuses the revoked certificate and accepts the sibling.
    // Refused for revocation (X509_V_ERR_CERT_REVOKED, error 23 on the leaf), not for any other failure.
    const refused = await run('openssl', ['verify', '-crl_check', '-CAfile', caPath, '-CRLfile', pemPath, lost.cert]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('error 23 at 0 depth lookup: certificate revoked');
    expect(refused.stdout).not.toMatch(/: OK$/m);
    expect((await run('openssl', ['verify', '-crl_check', '-CAfile', caPath, '-CRLfile', pemPath, sibling.cert])).stdout.trim()).toBe(`${sibling.cert}: OK`);

    // Server certificates keep RDS's shape: no CRL distribution point, no OCSP/caIssuers address.
    const shown = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath], { input: '' });
    expect(shown.stdout).toContain('Verify return code: 0 (ok)');
    const serverCert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(shown.stdout)![0];
    const serverText = await run('openssl', ['x509', '-noout', '-text'], { input: serverCert });
    expect(serverText.stdout).toContain(`DNS:${db.host}`);
    expect(serverText.stdout).not.toMatch(/CRL Distribution Points|Authority Information Access|OCSP|URI:/);

    expect((await fetch(`${t.service.apiUrl}/crl/eu-west-9-client-ca-g1.crl`)).status).toBe(404);
    expect((await fetch(`${t.service.apiUrl}/crl/${CRL_NAME}.der`)).status).toBe(404);
  }, 240_000);

  it('lists issued certificates with their revocation, never a key, page by page', async () => {
    const one = JSON.parse((await cli(['describe-client-certificates', '--serial', lost.serial])).stdout) as { ClientCertificates: Record<string, unknown>[] };
    expect(one.ClientCertificates).toEqual([
      { SerialNumber: lost.serial, Subject: '/C=US/O=acme/CN=lost', Issuer: '/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1', ValidFrom: expect.any(String), ValidTill: expect.any(String), KeyType: 'ecdsa-p256', Revoked: true, RevocationDate: expect.any(String), RevocationReason: 'keyCompromise' },
    ]);
    for (let i = 0; i < 21; i++) await t.service.control.connectionSecurity.issueClientCertificate({ subject: `/CN=bulk-${i}`, keyType: 'ecdsa-p256' });
    const all = JSON.parse((await cli(['describe-client-certificates', '--page-size', '20'])).stdout) as { ClientCertificates: Record<string, unknown>[] };
    expect(all.ClientCertificates).toHaveLength(23);
    expect(new Set(all.ClientCertificates.map((c) => c.SerialNumber)).size).toBe(23);
    expect(all.ClientCertificates.filter((c) => c.Revoked === true).map((c) => c.SerialNumber)).toEqual([lost.serial]);
    expect(JSON.stringify(all)).not.toMatch(/PRIVATE KEY|PrivateKey/);
    const first = JSON.parse((await cli(['describe-client-certificates', '--max-items', '5'])).stdout) as { ClientCertificates: unknown[]; NextToken: string };
    expect(first.ClientCertificates).toHaveLength(5);
    const rest = JSON.parse((await cli(['describe-client-certificates', '--starting-token', first.NextToken])).stdout) as { ClientCertificates: unknown[] };
    expect(rest.ClientCertificates).toHaveLength(18);
  }, 240_000);

  it('refuses bad revocations with a specific error and a non-zero exit, changing nothing', async () => {
    const cases: [string[], number, RegExp][] = [
      [[], 252, /exactly one of --serial or --certificate-file/],
      [['--serial', sibling.serial, '--certificate-file', sibling.cert], 252, /exactly one of --serial or --certificate-file/],
      [['--serial', sibling.serial, '--reason', 'certificateHold'], 252, /reason/],
      [['--serial', 'abcd1234'], 254, /ClientCertificateNotFound|No client certificate with serial abcd1234/],
      [['--serial', 'not-hex'], 254, /must be hexadecimal/],
      [['--serial', lost.serial], 254, /already|revoked on .* \(keyCompromise\)/],
      [['--certificate-file', join(t.dataDir, 'missing.pem')], 255, /cannot read/],
    ];
    const stranger = opensslCa('/C=US/O=Stranger/CN=Stranger CA').issue('/CN=x', 'x');
    cases.push([['--certificate-file', stranger.certPath], 254, /was not issued by \/C=US\/O=tlsql\/CN=tlsql us-east-1 Client CA G1/]);
    // Independent refusals, run together: each CLI start costs seconds on a loaded machine.
    const results = await Promise.all(cases.map(([args]) => cli(['revoke-client-certificate', ...args])));
    cases.forEach(([args, code, message], i) => {
      expect({ args, code: results[i]!.code, stderr: results[i]!.stderr }).toEqual({ args, code, stderr: expect.stringMatching(message) });
    });
    // The API itself names the fault codes.
    const cs = t.service.control.connectionSecurity;
    await expect(cs.revokeClientCertificate({ serialNumber: lost.serial })).rejects.toMatchObject({ code: 'ClientCertificateAlreadyRevoked' });
    await expect(cs.revokeClientCertificate({ serialNumber: 'abcd1234' })).rejects.toMatchObject({ code: 'ClientCertificateNotFound' });
    await expect(cs.revokeClientCertificate({ serialNumber: sibling.serial, reason: 'cACompromise' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await expect(cs.revokeClientCertificate({})).rejects.toMatchObject({ code: 'MissingParameter' });
    // The first revocation stands, and the sibling is still unrevoked and logs in.
    const listed = await cs.describeClientCertificates({ serialNumber: lost.serial });
    expect(listed[0]!.revocation!.reason).toBe('keyCompromise');
    expect((await cs.describeClientCertificates({ serialNumber: sibling.serial }))[0]!.revocation).toBeNull();
    expect((await login('free_user', sibling)).stdout).toBe('free_user@%\n');
  }, 240_000);

  it('revokes by certificate file a certificate issued before tlsql kept records', async () => {
    // Signed by the region's client CA directly: as a certificate issued by an older tlsql, it has no record.
    const ca = new ClientCertificateAuthority({ dir: join(t.dataDir, 'pki'), masterKey: await ensureMasterKey(t.dataDir), regions: ['us-east-1'] });
    const old = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/O=acme/CN=old'), keyType: 'ecdsa-p256' });
    const oldCert = { cert: join(t.dataDir, 'old.pem'), key: join(t.dataDir, 'old.key'), serial: old.serialHex };
    await writeFile(oldCert.cert, old.certPem);
    await writeFile(oldCert.key, old.keyPem, { mode: 0o600 });
    expect((await login('free_user', oldCert)).stdout).toBe('free_user@%\n');
    expect((await cli(['revoke-client-certificate', '--serial', old.serialHex])).stderr).toMatch(/No client certificate with serial/);
    const r = await cli(['revoke-client-certificate', '--certificate-file', oldCert.cert, '--reason', 'superseded']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).ClientCertificate).toMatchObject({ SerialNumber: old.serialHex, Subject: '/O=acme/CN=old', Revoked: true, RevocationReason: 'superseded' });
    expect((await login('free_user', oldCert)).stderr).toMatch(revokedError('free_user', old.serialHex, 'superseded'));
  }, 240_000);
});

describe("an operator CA's CRL", () => {
  it('is imported after its signature is checked, refuses the certificates it lists and closes their sessions; others keep working', async () => {
    const op = opensslCa('/C=US/O=Operator Inc/CN=Operator Client CA');
    expect((await cli(['import-client-certificate-authority', '--db-instance-identifier', 'rev-db', '--certificate-file', op.certPath])).code).toBe(0);
    const bad = op.issue('/C=US/O=acme/CN=op-bad', 'op-bad');
    const good = op.issue('/C=US/O=acme/CN=op-good', 'op-good');
    const badSerial = new X509Certificate(readFileSync(bad.certPath)).serialNumber.toLowerCase().replace(/^0+/, '');
    const live = await mysql2Login('free_user', { cert: bad.certPath, key: bad.keyPath });
    live.on('error', () => {});
    try {
      op.revoke(bad.certPath, 'affiliationChanged');
      const crl = op.crl('first');

      // Refused: a CRL of a CA the instance does not trust, one signed by another key under the CA's name, and garbage.
      const stranger = opensslCa('/C=US/O=Stranger/CN=Stranger CA');
      const impostor = opensslCa('/C=US/O=Operator Inc/CN=Operator Client CA');
      const refusals: [string, RegExp][] = [
        [stranger.crl('s'), /trusts no imported client CA named .*Stranger CA/],
        [impostor.crl('i'), /signature does not verify/],
        [op.certPath, /must hold exactly one PEM "X509 CRL" block/],
      ];
      const results = await Promise.all(refusals.map(([file]) => cli(['import-client-crl', '--db-instance-identifier', 'rev-db', '--crl-file', file])));
      refusals.forEach(([file, message], i) => {
        expect({ file, code: results[i]!.code, stderr: results[i]!.stderr }).toEqual({ file, code: 254, stderr: expect.stringMatching(message) });
      });
      await live.query('SELECT 1'); // nothing was enforced by the refused imports

      // Sent as DER, as a CA usually publishes it.
      const der = join(op.dir, 'first.crl');
      expect((await run('openssl', ['crl', '-in', crl, '-outform', 'DER', '-out', der])).code).toBe(0);
      const r = await cli(['import-client-crl', '--db-instance-identifier', 'rev-db', '--crl-file', der]);
      expect(r.stderr).toBe('');
      const out = JSON.parse(r.stdout) as { ClientCrl: Record<string, unknown>; Connections: Record<string, unknown>[] };
      expect(out.ClientCrl).toMatchObject({ DBInstanceIdentifier: 'rev-db', Issuer: '/C=US/O=Operator Inc/CN=Operator Client CA', RevokedCount: 1, CrlNumber: 1 });
      expect(out.Connections).toEqual([expect.objectContaining({ User: 'free_user', ClientCertificateSubject: '/C=US/O=acme/CN=op-bad' })]);
      await expect(live.query('SELECT 1')).rejects.toThrow();
    } finally {
      live.destroy();
    }
    expect((await login('free_user', { cert: bad.certPath, key: bad.keyPath })).stderr).toMatch(revokedError('free_user', badSerial, 'affiliationChanged'));
    operatorRevoked = { cert: bad.certPath, key: bad.keyPath, serial: badSerial };
    operator = { caPath: op.certPath, good: { cert: good.certPath, key: good.keyPath } };
    expect((await login('free_user', { cert: good.certPath, key: good.keyPath })).stdout).toBe('free_user@%\n');
    const cas = JSON.parse((await cli(['describe-client-certificate-authorities', '--db-instance-identifier', 'rev-db'])).stdout) as { ClientCertificateAuthorities: Record<string, unknown>[] };
    expect(cas.ClientCertificateAuthorities.find((c) => c.Source === 'operator')).toMatchObject({ CrlThisUpdate: expect.any(String), CrlNextUpdate: expect.any(String) });
    expect((await cli(['import-client-crl', '--db-instance-identifier', 'no-such-db', '--crl-file', der0(op)])).stderr).toMatch(/DBInstanceNotFound|not found/);
  }, 240_000);
});

describe("an operator CA's CRL, after the CA is removed and imported again", () => {
  it('is still enforced, and the import says the CRL is loaded', async () => {
    const listed = JSON.parse((await cli(['describe-client-certificate-authorities', '--db-instance-identifier', 'rev-db'])).stdout) as { ClientCertificateAuthorities: Record<string, string>[] };
    const thumbprint = listed.ClientCertificateAuthorities.find((c) => c.Source === 'operator')!.Thumbprint!;
    expect((await cli(['remove-client-certificate-authority', '--db-instance-identifier', 'rev-db', '--thumbprint', thumbprint])).code).toBe(0);
    const again = await cli(['import-client-certificate-authority', '--db-instance-identifier', 'rev-db', '--certificate-file', operator!.caPath]);
    expect(again.stderr).toBe('');
    expect(JSON.stringify(JSON.parse(again.stdout))).toMatch(/"CrlThisUpdate":"\d{4}-/);
    expect((await login('free_user', operatorRevoked!)).stderr).toMatch(revokedError('free_user', operatorRevoked!.serial, 'affiliationChanged'));
    expect((await login('free_user', operator!.good)).stdout).toBe('free_user@%\n');
  }, 240_000);
});

describe('after tlsql restarts', () => {
  it('still refuses revoked certificates, its own and those on imported CRLs, and still lets the sibling in', async () => {
    await t.service.close();
    t.service = await startService(parseConfig({ ...t.config }), { logger: createLogger({ write: (l) => t.logs.push(l) }) });
    expect((await login('x509_user', lost)).stderr).toMatch(revokedError('x509_user', lost.serial, 'keyCompromise'));
    expect((await login('free_user', operatorRevoked!)).stderr).toMatch(revokedError('free_user', operatorRevoked!.serial, 'affiliationChanged'));
    expect((await login('x509_user', sibling)).stdout).toBe('x509_user@%\n');
    // The CRL number keeps growing across the restart.
    const res = Buffer.from(await (await fetch(`${t.service.apiUrl}/crl/${CRL_NAME}.crl`)).arrayBuffer());
    const file = join(t.dataDir, 'after-restart.crl');
    await writeFile(file, res);
    // openssl prints the number in hex, e.g. `crlNumber=0A`.
    const number = parseInt(/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec((await run('openssl', ['crl', '-inform', 'DER', '-in', file, '-noout', '-crlnumber'])).stdout)![1]!, 16);
    expect(number).toBeGreaterThan(1);
  }, 240_000);
});

/** Any CRL file of `op` (for calls refused before the CRL is looked at). */
function der0(op: ReturnType<typeof opensslCa>): string {
  return op.crl('again');
}
