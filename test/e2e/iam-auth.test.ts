import { createHash } from 'node:crypto';
/**
 * IAM database authentication end to end (docs/iam.md): tokens from the official @aws-sdk/rds-signer
 * log in over verified TLS through mysql2 and the Debian mariadb client as the real engine
 * account; every other token, password or transport is refused with 1045 and its precise reason
 * in the log. Time-dependent checks move the service's injected clock, never sleep.
 */
import { readFileSync } from 'node:fs';
import { ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { Signer } from '@aws-sdk/rds-signer';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivedPassword, instanceIamSecret } from '../../src/iam/engine-accounts.js';
import type { Clock } from '../../src/lib/clock.js';
import { ensureMasterKey } from '../../src/service/init.js';
import { mariadbCli, mysql2Tls, run } from '../helpers/clients.js';
import { tlsql } from '../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

/** Real time plus an offset the tests move: the service sees expiry without anyone sleeping. */
class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

const clock = new OffsetClock();
let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let admin: mysql.Connection;
let ca: string;
/** The IAM user's key that is allowed to connect as jane. */
let key: { accessKeyId: string; secretAccessKey: string };

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => tlsql(t.dataDir, ['--endpoint-url', t.service.apiUrl, ...args], { env });

async function cliJson(args: string[]): Promise<Record<string, any>> {
  const r = await cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

function token(o: { user?: string; host?: string; port?: number; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } = {}): Promise<string> {
  return new Signer({ hostname: o.host ?? db.host, port: o.port ?? db.port, username: o.user ?? 'jane', region: o.region ?? t.config.region, credentials: o.credentials ?? key }).getAuthToken();
}

function iamConnect(password: string, o: { user?: string; port?: number; tls?: boolean } = {}) {
  return mysql.createConnection({
    host: db.host,
    port: o.port ?? db.port,
    user: o.user ?? 'jane',
    password,
    enableCleartextPlugin: true,
    ...(o.tls === false ? {} : { ssl: { ca, verifyIdentity: true } }),
  });
}

async function currentUser(c: mysql.Connection): Promise<string> {
  const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS cu');
  return rows[0]!.cu as string;
}

/** Log lines written while `fn` ran. */
async function logsDuring(fn: () => Promise<unknown>): Promise<string> {
  const from = t.logs.length;
  await fn();
  return t.logs.slice(from).join('\n');
}

/** Asserts a 1045 for jane with `password` and that the log names `reason`. */
async function expectRefused(password: string, reason: string, o: { user?: string; tls?: boolean } = {}): Promise<void> {
  const logs = await logsDuring(() => expect(iamConnect(password, o)).rejects.toMatchObject({ errno: 1045 }));
  expect(logs).toContain('"msg":"IAM login refused"');
  expect(logs).toContain(`"reason":"${reason}"`);
}

beforeAll(async () => {
  t = await startTestService({}, { clock });
  db = await createInstance(t, 'iamdb', { EnableIAMDatabaseAuthentication: true });
  ca = readFileSync(t.bundlePath, 'utf8');
  admin = await mysql2Tls({ ...db, ca: t.bundlePath });
  await admin.query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
  await admin.query('CREATE DATABASE shop');
  await admin.query("GRANT SELECT ON shop.* TO 'jane'@'%'");
  await cliJson(['iam', 'create-user', '--user-name', 'jane-app']);
  const k = await cliJson(['iam', 'create-access-key', '--user-name', 'jane-app']);
  key = { accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey };
  await cliJson(['iam', 'allow-db-connect', '--user-name', 'jane-app', '--db-instance-identifier', 'iamdb', '--db-user', 'jane']);
});

afterAll(async () => {
  await admin?.end();
  await t?.close();
});

describe('IAM database authentication', () => {
  it('logs in through mysql2 with a token from @aws-sdk/rds-signer, as the real account', async () => {
    const c = await iamConnect(await token());
    try {
      expect(await currentUser(c)).toBe('jane@%');
      const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
      expect(rows[0]!.Value).toMatch(/^TLSv1\.[23]$/);
      // Its own grants: shop is readable, nothing else is writable.
      await expect(c.query('CREATE DATABASE nope')).rejects.toMatchObject({ errno: 1044 });
    } finally {
      await c.end();
    }
  });

  it('logs in through the Debian mariadb client with --ssl-verify-server-cert and --enable-cleartext-plugin', async () => {
    const tok = await token();
    const r = await run('mariadb', ['-h', db.host, '-P', String(db.port), '-u', 'jane', `--ssl-ca=${t.bundlePath}`, '--ssl-verify-server-cert', '--enable-cleartext-plugin', `--password=${tok}`, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER()']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 10.11's client notes that --enable-cleartext-plugin is obsolete (it always allows the plugin), then answers.
    expect(r.stdout.trim().split('\n').at(-1)).toBe('jane@%');
  });

  it('accepts a token again until it expires, as RDS', async () => {
    const tok = await token();
    for (let i = 0; i < 3; i++) {
      const c = await iamConnect(tok);
      expect(await currentUser(c)).toBe('jane@%');
      await c.end();
    }
  });

  it('accepts tokens printed by tlsql generate-db-auth-token with an IAM user key', async () => {
    const r = await cli(['generate-db-auth-token', '--hostname', db.host, '--port', String(db.port), '--username', 'jane'], { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey });
    expect(r.stderr).toBe('');
    const tok = r.stdout.trim();
    expect(tok).toMatch(new RegExp(`^${db.host.replace(/\./g, '\\.')}:${db.port}/\\?Action=connect&DBUser=jane&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${key.accessKeyId}%2F\\d{8}%2F${t.config.region}%2Frds-db%2Faws4_request&`));
    const c = await iamConnect(tok);
    expect(await currentUser(c)).toBe('jane@%');
    await c.end();
  });

  it('shows IAM accounts in SHOW CREATE USER as AWSAuthenticationPlugin', async () => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW CREATE USER 'jane'@'%'");
    expect(Object.values(rows[0]!)[0]).toMatch(/^CREATE USER `jane`@`%` IDENTIFIED VIA AWSAuthenticationPlugin USING 'RDS' OR mysql_native_password USING '\*[0-9A-F]{40}'$/);
  });

  describe('refuses, with 1045 and the reason in the log', () => {
    it('an expired token (injected clock past X-Amz-Expires)', async () => {
      const tok = await token();
      clock.offsetMs = 901_000;
      try {
        await expectRefused(tok, 'expired');
      } finally {
        clock.offsetMs = 0;
      }
    });

    it('a token with a tampered signature', async () => {
      const tok = await token();
      const tampered = tok.replace(/X-Amz-Signature=([0-9a-f]+)/, (_m, sig: string) => `X-Amz-Signature=${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
      expect(tampered).not.toBe(tok);
      await expectRefused(tampered, 'bad_signature');
    });

    it('a token for another DB user', async () => {
      await expectRefused(await token({ user: 'bob' }), 'wrong_user');
    });

    it('a token for another host', async () => {
      await expectRefused(await token({ host: `other-${db.host}` }), 'wrong_host');
    });

    it('a token for another port', async () => {
      await expectRefused(await token({ port: db.port + 1 }), 'wrong_port');
    });

    it('a token for another region', async () => {
      await expectRefused(await token({ region: 'eu-west-1' }), 'wrong_region');
    });

    it('a token signed with an unknown key', async () => {
      await expectRefused(await token({ credentials: { accessKeyId: 'AKIAUNKNOWNKEY123456', secretAccessKey: key.secretAccessKey } }), 'unknown_key');
    });

    it('a token signed with a deactivated key (and, once the key is deleted, an unknown one)', async () => {
      const k2 = await cliJson(['iam', 'create-access-key', '--user-name', 'jane-app']);
      const creds = { accessKeyId: k2.AccessKey.AccessKeyId as string, secretAccessKey: k2.AccessKey.SecretAccessKey as string };
      const tok = await token({ credentials: creds });
      await cliJson(['iam', 'update-access-key', '--user-name', 'jane-app', '--access-key-id', creds.accessKeyId, '--status', 'Inactive']);
      await expectRefused(tok, 'inactive_key');
      const listed = await cliJson(['iam', 'list-access-keys', '--user-name', 'jane-app']);
      expect(listed.AccessKeyMetadata.find((m: { AccessKeyId: string }) => m.AccessKeyId === creds.accessKeyId).Status).toBe('Inactive');
      expect(JSON.stringify(listed)).not.toContain(creds.secretAccessKey);
      await cliJson(['iam', 'delete-access-key', '--user-name', 'jane-app', '--access-key-id', creds.accessKeyId]);
      await expectRefused(tok, 'unknown_key');
    });

    it('a token of an IAM user without an rds-db:connect policy', async () => {
      await cliJson(['iam', 'create-user', '--user-name', 'nopolicy']);
      const k = await cliJson(['iam', 'create-access-key', '--user-name', 'nopolicy']);
      await expectRefused(await token({ credentials: { accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey } }), 'no_policy');
    });

    it('a token with a session token tlsql did not issue', async () => {
      await expectRefused(await token({ credentials: { ...key, sessionToken: 'FwoGZXIvYXdzEXAMPLE' } }), 'unknown_session');
    });

    it('a valid token on a plaintext connection, without asking for it', async () => {
      await expectRefused(await token(), 'plaintext', { tls: false });
    });

    it('a password instead of a token (the master password, too)', async () => {
      await expectRefused('Sup3r-secret!', 'malformed');
    });

    it('the engine password of the account, even for someone who learned its hash or derivation', async () => {
      // What the master user can read: the account's native hash, from SHOW CREATE USER (or mysql.global_priv).
      const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW CREATE USER 'jane'@'%'");
      const hash = /mysql_native_password USING '(\*[0-9A-F]{40})'/.exec(String(Object.values(rows[0]!)[0]))?.[1] ?? '';
      expect(hash).toMatch(/^\*[0-9A-F]{40}$/);
      await expectRefused(hash, 'malformed');
      // Worse than knowing the hash: knowing the derived password itself (master key + resource id).
      const masterKey = await ensureMasterKey(t.dataDir);
      const engineSecret = derivedPassword(instanceIamSecret(masterKey, db.instance.DbiResourceId!), 'jane', '%');
      await expectRefused(engineSecret, 'malformed');
      // A native-password client gets the same answer: the front door never forwards a password for an IAM account.
      const r = await mariadbCli({ host: db.host, port: db.port, user: 'jane', password: engineSecret, ca: t.bundlePath, sql: 'SELECT 1' });
      expect(r.stderr).toMatch(/ERROR 1045 \(28000\)/);
    });

    it('a 100 KB token, answered 1153 with the sequence id mysql2 expects (not a protocol error)', async () => {
      // mysql2 sends the token after the auth switch: SSLRequest 1, HandshakeResponse 2, switch 3, token 4; the error is 5.
      const err = await iamConnect('x'.repeat(100_000)).then(
        () => null,
        (e: { errno?: number; message: string }) => e,
      );
      expect(err?.message).not.toMatch(/out of order/);
      expect(err).toMatchObject({ errno: 1153, message: expect.stringContaining("Got a packet bigger than 'max_allowed_packet' bytes") });
    });
  });

  it('keeps its record consistent across RENAME USER and DROP USER', async () => {
    await admin.query("CREATE USER 'jim'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
    await cliJson(['iam', 'allow-db-connect', '--user-name', 'jane-app', '--db-instance-identifier', 'iamdb', '--db-user', '*', '--policy-name', 'any-db-user']);
    const asJim = await iamConnect(await token({ user: 'jim' }), { user: 'jim' });
    expect(await currentUser(asJim)).toBe('jim@%');
    await asJim.end();

    await admin.query("RENAME USER 'jim'@'%' TO 'jimmy'@'%'");
    const asJimmy = await iamConnect(await token({ user: 'jimmy' }), { user: 'jimmy' });
    expect(await currentUser(asJimmy)).toBe('jimmy@%');
    await asJimmy.end();
    await expect(iamConnect(await token({ user: 'jim' }), { user: 'jim' })).rejects.toMatchObject({ errno: 1045 });

    await admin.query("DROP USER 'jimmy'@'%'");
    await expect(iamConnect(await token({ user: 'jimmy' }), { user: 'jimmy' })).rejects.toMatchObject({ errno: 1045 });
    // A password account of the same name is an ordinary account again.
    await admin.query("CREATE USER 'jimmy'@'%' IDENTIFIED BY 'Jimmy-pw-1'");
    const pw = await mysql2Tls({ ...db, user: 'jimmy', password: 'Jimmy-pw-1', ca: t.bundlePath });
    expect(await currentUser(pw)).toBe('jimmy@%');
    await pw.end();
    await cliJson(['iam', 'delete-user-policy', '--user-name', 'jane-app', '--policy-name', 'any-db-user']);
  });

  it('carries a command larger than the inspection limit intact right after an account statement', async () => {
    // An account statement makes the next command be held for the account refresh; one over
    // 64 KiB is held by its header only and must still reach the engine once, byte for byte.
    await admin.query("CREATE USER 'bulk'@'%' IDENTIFIED BY 'Bulk-pw-1'");
    const big = 'x'.repeat(70_000);
    const [rows] = await admin.query<mysql.RowDataPacket[]>(`SELECT LENGTH('${big}') AS n, MD5('${big}') AS h`);
    expect(rows[0]!.n).toBe(70_000);
    expect(rows[0]!.h).toBe(createHash('md5').update(big).digest('hex'));
    const [after] = await admin.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
    expect(after[0]!.one).toBe(1);
    await admin.query("DROP USER 'bulk'@'%'");
  });

  it('prefers a more specific password account of the same user, as MariaDB does', async () => {
    await admin.query("CREATE USER 'jane'@'127.0.0.1' IDENTIFIED BY 'Local-jane-1'");
    await admin.query("CREATE USER 'jane'@'::1' IDENTIFIED BY 'Local-jane-1'");
    try {
      const c = await mysql2Tls({ ...db, user: 'jane', password: 'Local-jane-1', ca: t.bundlePath });
      expect(await currentUser(c)).toMatch(/^jane@(127\.0\.0\.1|::1)$/);
      await c.end();
      await expect(iamConnect(await token())).rejects.toMatchObject({ errno: 1045 });
    } finally {
      await admin.query("DROP USER 'jane'@'127.0.0.1', 'jane'@'::1'");
    }
    const c = await iamConnect(await token());
    expect(await currentUser(c)).toBe('jane@%');
    await c.end();
  });

  it('answers CREATE USER ... AWSAuthenticationPlugin with the engine\'s exact 1524 when IAM is disabled, and enabling it applies live', async () => {
    const plain = await createInstance(t, 'plaindb');
    const c = await mysql2Tls({ ...plain, ca: t.bundlePath });
    try {
      const err = await c.query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'").then(
        () => null,
        (e: { errno: number; sqlState: string; sqlMessage: string }) => e,
      );
      expect(err).toMatchObject({ errno: 1524, sqlState: 'HY000', sqlMessage: "Plugin 'AWSAuthenticationPlugin' is not loaded" });
      const cliErr = await mariadbCli({ ...plain, ca: t.bundlePath, sql: "CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'" });
      expect(cliErr.stderr).toContain("\nERROR 1524 (HY000) at line 1: Plugin 'AWSAuthenticationPlugin' is not loaded\n");
    } finally {
      await c.end();
    }
    const out = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'plaindb', EnableIAMDatabaseAuthentication: true, ApplyImmediately: true }));
    expect(out.DBInstance?.IAMDatabaseAuthenticationEnabled).toBe(true);
    const c2 = await mysql2Tls({ ...plain, ca: t.bundlePath });
    await c2.query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
    await c2.end();
    await cliJson(['iam', 'allow-db-connect', '--user-name', 'jane-app', '--all-instances', '--db-user', 'jane', '--policy-name', 'jane-everywhere']);
    const tok = await new Signer({ hostname: plain.host, port: plain.port, username: 'jane', region: t.config.region, credentials: key }).getAuthToken();
    const j = await mysql.createConnection({ host: plain.host, port: plain.port, user: 'jane', password: tok, enableCleartextPlugin: true, ssl: { ca, verifyIdentity: true } });
    expect(await currentUser(j)).toBe('jane@%');
    await j.end();
  });

  it('counts logins and refusals by precise reason in /metrics', async () => {
    const text = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    expect(text).toContain('tlsql_iam_enabled{instance="iamdb"} 1');
    expect(Number(/tlsql_iam_logins_total\{instance="iamdb"\} (\d+)/.exec(text)?.[1])).toBeGreaterThanOrEqual(6);
    for (const reason of ['expired', 'bad_signature', 'wrong_user', 'wrong_host', 'wrong_port', 'unknown_key', 'inactive_key', 'no_policy', 'plaintext', 'unknown_session']) {
      expect(Number(new RegExp(`tlsql_iam_login_refusals_total\\{instance="iamdb",reason="${reason}"\\} (\\d+)`).exec(text)?.[1]), reason).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses IAM users\' keys on the API and malformed policies on PutUserPolicy', async () => {
    // A data dir without credentials, so the CLI signs with the IAM user's key from the environment.
    const r2 = await tlsql('/nonexistent-tlsql-dir', ['--endpoint-url', t.service.apiUrl, 'describe-db-instances'], { env: { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey } });
    expect(r2.code).toBe(254);
    expect(r2.stderr).toContain('InvalidClientTokenId');
    const bad = await cli(['iam', 'put-user-policy', '--user-name', 'jane-app', '--policy-name', 'p', '--policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"*","Condition":{}}]}']);
    expect(bad.code).toBe(254);
    expect(bad.stderr).toContain('MalformedPolicyDocument');
  });
});
