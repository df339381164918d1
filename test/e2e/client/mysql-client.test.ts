/**
 * `tlsql mysql` against a real tlsql service (real CA, front doors, mariadbd): every --ssl-mode
 * with positive and negative cases, the output formats, and the RDS guide's command lines run
 * verbatim. TLS is asserted from the server's side (`Ssl_version`), never by switching checks off.
 */

import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../../helpers/clients.js';
import { TLSQL_BIN, tlsql } from '../../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../../helpers/service.js';
import { startPlainMariadb, type PlainMariadb } from './plain-mariadb.js';
import { Pty } from './pty.js';

let t: TestService;
let alpha: Awaited<ReturnType<typeof createInstance>>;
let beta: Awaited<ReturnType<typeof createInstance>>;
let plain: PlainMariadb;
let foreignCa: string;

beforeAll(async () => {
  t = await startTestService();
  // alpha also serves the RDS guide's IAM command line (docs/iam.md).
  [alpha, beta] = await Promise.all([createInstance(t, 'alpha', { EnableIAMDatabaseAuthentication: true }), createInstance(t, 'beta')]);
  plain = await startPlainMariadb();
  // A CA that has nothing to do with tlsql: "an unknown CA" for REQUIRED and the wrong-bundle cases.
  const dir = await mkdtemp(join(tmpdir(), 'tlsql-foreign-ca-'));
  foreignCa = join(dir, 'foreign-ca.pem');
  const pem = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=foreign test CA', '-days', '2'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  await writeFile(foreignCa, pem);
}, 240_000);

afterAll(async () => {
  await plain?.stop();
  await t?.close();
});

const login = (db: { host: string; port: number; user: string; password: string }) => ['-h', db.host, '-P', String(db.port), '-u', db.user, `-p${db.password}`];

function mysql(args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  return tlsql(t.dataDir, ['mysql', ...args], opts);
}

/** The value of one status variable, read with -N -B. */
async function sslVersion(args: string[]): Promise<RunResult & { value: string }> {
  const r = await mysql([...args, '-N', '-B', '-e', "SHOW SESSION STATUS LIKE 'Ssl_version'"]);
  return { ...r, value: r.stdout.trim().split('\t')[1] ?? '' };
}

describe('tlsql mysql --ssl-mode', () => {
  it('VERIFY_IDENTITY connects by the endpoint name and the server sees TLS', async () => {
    const r = await sslVersion([...login(alpha), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.value).toMatch(/^TLSv1\.[23]$/);
  });

  it('VERIFY_IDENTITY refuses localhost with ERROR 2026 and a hint naming the endpoint', async () => {
    const r = await mysql([...login({ ...alpha, host: 'localhost' }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^ERROR 2026 \(HY000\): SSL connection error: .*localhost/m);
    expect(r.stderr).toMatch(new RegExp(`^Hint: .*-h ${alpha.host.replace(/\./g, '\\.')}`, 'm'));
  });

  it("VERIFY_IDENTITY refuses another instance's valid certificate (beta's name on alpha's port)", async () => {
    const r = await mysql([...login({ ...alpha, host: beta.host }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 2026 \(HY000\): SSL connection error: .*altnames/m);
    expect(r.stderr).toMatch(/^Hint: this port serves alpha\..* not beta\./m);
  });

  it('VERIFY_IDENTITY by IP address fails: the certificate holds the name only', async () => {
    const r = await mysql([...login({ ...alpha, host: '127.0.0.1' }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 2026 \(HY000\)/m);
    expect(r.stderr).toMatch(/^Hint: you connected by IP address 127\.0\.0\.1/m);
  });

  it('VERIFY_CA accepts the same certificate by localhost and by another name (chain only)', async () => {
    const byLocalhost = await sslVersion([...login({ ...alpha, host: 'localhost' }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_CA']);
    expect(byLocalhost.stderr).toBe('');
    expect(byLocalhost.value).toMatch(/^TLSv1\.[23]$/);
    const byOtherName = await sslVersion([...login({ ...alpha, host: beta.host }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_CA']);
    expect(byOtherName.code).toBe(0);
    expect(byOtherName.value).toMatch(/^TLSv1\.[23]$/);
  });

  it('VERIFY_CA refuses a CA file without the issuing root, hinting at the bundle that works', async () => {
    const r = await mysql([...login(alpha), `--ssl-ca=${foreignCa}`, '--ssl-mode=VERIFY_CA', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 2026 \(HY000\): SSL connection error: (unable to get local issuer certificate|self.signed)/m);
    expect(r.stderr).toMatch(/^Hint: .*foreign-ca\.pem has no root for "tlsql us-east-1 Root CA RSA2048 G1".*global-bundle\.pem verifies this server/m);
  });

  it('--ssl-ca without --ssl-mode means VERIFY_CA, as in MySQL 8', async () => {
    const r = await mysql([...login(alpha), `--ssl-ca=${foreignCa}`, '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ERROR 2026/);
  });

  it('VERIFY_CA and VERIFY_IDENTITY without a CA are refused before connecting', async () => {
    const r = await mysql([...login(alpha), '--ssl-mode=VERIFY_IDENTITY', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERROR 2026 (HY000): SSL connection error: CA certificate is required if ssl-mode is VERIFY_CA or VERIFY_IDENTITY');
  });

  it('REQUIRED encrypts with an unknown CA given (warning that nothing is verified)', async () => {
    const r = await sslVersion([...login(alpha), `--ssl-ca=${foreignCa}`, '--ssl-mode=REQUIRED']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('WARNING: no verification of server certificate will be done. Use --ssl-mode=VERIFY_CA or VERIFY_IDENTITY.\n');
    expect(r.value).toMatch(/^TLSv1\.[23]$/);
  });

  it('REQUIRED fails against a server that offers no TLS', async () => {
    const r = await mysql([...login(plain), '--ssl-mode=REQUIRED', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 2026 \(HY000\): SSL connection error: SSL is required but the server doesn't support it$/m);
    expect(r.stderr).toMatch(/^Hint: .*offers no TLS/m);
  });

  it('PREFERRED (the default) gets TLS from a tlsql endpoint', async () => {
    const r = await sslVersion(login(alpha));
    expect(r.code).toBe(0);
    expect(r.value).toMatch(/^TLSv1\.[23]$/);
  });

  it('PREFERRED falls back to plaintext only against a server that offers no TLS', async () => {
    const r = await sslVersion(login(plain));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.value).toBe('');
  });

  it('DISABLED never negotiates TLS, even with a tlsql endpoint', async () => {
    const r = await sslVersion([...login(alpha), '--ssl-mode=DISABLED']);
    expect(r.code).toBe(0);
    expect(r.value).toBe('');
  });

  it('--tls-version=TLSv1.2 negotiates TLS 1.2', async () => {
    const r = await sslVersion([...login(alpha), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '--tls-version=TLSv1.2']);
    expect(r.value).toBe('TLSv1.2');
  });
});

describe('tlsql mysql errors', () => {
  it('prints ERROR 1045 (28000) for a wrong password and exits 1', async () => {
    const r = await mysql([...login({ ...alpha, password: 'wrong' }), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 1045 \(28000\): Access denied for user 'admin'@'[^']+' \(using password: YES\)$/m);
  });

  it('prints ERROR 2003 with a hint when nothing listens on the port', async () => {
    const r = await mysql(['-h', alpha.host, '-P', '1', '-u', 'admin', '-e', 'SELECT 1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ERROR 2003 \(HY000\): Can't connect to MySQL server on '.*:1' \(111\)$/m);
    expect(r.stderr).toMatch(/^Hint: nothing listens/m);
  });

  it('reports SQL errors with the line number in batch mode and stops there', async () => {
    const r = await mysql([...login(alpha), '-B'], { input: 'SELECT 1;\nSELEC 2;\nSELECT 3;\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('1\n1\n');
    expect(r.stderr).toMatch(/^ERROR 1064 \(42000\) at line 2: You have an error in your SQL syntax/m);
  });

  it('rejects an unknown option with a usage error', async () => {
    const r = await mysql(['--no-such-option']);
    expect(r.code).toBe(252);
    expect(r.stderr).toContain("unknown option '--no-such-option'");
  });
});

describe('tlsql mysql output formats', () => {
  const sql = "SELECT 1 AS id, 'a\tb' AS name, NULL AS note UNION ALL SELECT 22, 'rocket', 'x'";

  it('-e prints tab-separated rows with a header when stdout is not a terminal, escaping tabs', async () => {
    const r = await mysql([...login(alpha), '-e', sql]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('id\tname\tnote\n1\ta\\tb\tNULL\n22\trocket\tx\n');
  });

  it('-B -N leaves the header out', async () => {
    const r = await mysql([...login(alpha), '-B', '-N', '-e', sql]);
    expect(r.stdout).toBe('1\ta\\tb\tNULL\n22\trocket\tx\n');
  });

  it('-t prints a MySQL monitor table with numbers right-aligned', async () => {
    const r = await mysql([...login(alpha), '-t', '-e', "SELECT 1 AS id, 'anvil' AS name UNION ALL SELECT 22, 'rocket'"]);
    expect(r.stdout).toBe(['+----+--------+', '| id | name   |', '+----+--------+', '|  1 | anvil  |', '| 22 | rocket |', '+----+--------+', ''].join('\n'));
  });

  it('-t -N prints the table without its header', async () => {
    const r = await mysql([...login(alpha), '-tN', '-e', 'SELECT 7 AS n']);
    expect(r.stdout).toBe('+---+\n| 7 |\n+---+\n');
  });

  it('\\G prints rows vertically', async () => {
    const r = await mysql([...login(alpha), '-e', "SELECT 1 AS id, 'anvil' AS name\\G"]);
    expect(r.stdout).toBe('*************************** 1. row ***************************\n  id: 1\nname: anvil\n');
  });

  it('runs several statements from -e and multi-line statements from stdin', async () => {
    const e = await mysql([...login(alpha), '-N', '-e', 'SELECT 1; SELECT 2']);
    expect(e.stdout).toBe('1\n2\n');
    const piped = await mysql([...login(alpha), '-N'], { input: "SELECT\n  'multi',\n  'line'\n;\nSELECT 'last'" });
    expect(piped.stdout).toBe('multi\tline\nlast\n');
  });

  it('accepts bundled short options and attached values (-uadmin -pSECRET -BNe)', async () => {
    const r = await mysql([`-h${alpha.host}`, `-P${alpha.port}`, `-u${alpha.user}`, `-p${alpha.password}`, '-BNe', 'SELECT 40 + 2']);
    expect(r.stdout).toBe('42\n');
  });
});

describe('the RDS guide command lines, verbatim', () => {
  it('mysql -h <endpoint> --ssl-ca=global-bundle.pem --ssl-mode=VERIFY_IDENTITY -P <port> -u admin -p: the password prompt does not echo', async () => {
    // `global-bundle.pem` relative, as in the guide: run where the bundle was downloaded.
    const pty = new Pty(
      [process.execPath, TLSQL_BIN, '--data-dir', t.dataDir, 'mysql', '-h', alpha.host, '--ssl-ca=global-bundle.pem', '--ssl-mode=VERIFY_IDENTITY', '-P', String(alpha.port), '-u', 'admin', '-p'],
      { cwd: t.dataDir, env: { ...process.env, MYSQL_HISTFILE: '/dev/null' } },
    );
    try {
      await pty.waitFor(/Enter password: $/);
      pty.type(`${alpha.password}\r`);
      await pty.waitFor(/mysql> $/);
      expect(pty.text).not.toContain(alpha.password);
      const m = pty.mark();
      pty.type("SHOW SESSION STATUS LIKE 'Ssl_version';\r");
      const out = await pty.waitFor(/row in set[^\n]*\n\nmysql> $/, { from: m });
      expect(out).toMatch(/\| Ssl_version\s+\| TLSv1\.[23]\s+\|/);
      pty.type('exit\r');
      await pty.waitFor(/Bye/);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
  });

  it('mysql --host=... --port=... --ssl-ca=global-bundle.pem --enable-cleartext-plugin --user=jane_doe --password=$TOKEN logs in with an IAM token', async () => {
    // IAM set-up as an operator does it: the DB account, an IAM user with a key allowed to connect as it.
    const create = await mysql([...login(alpha), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-e', "CREATE USER 'jane_doe'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"]);
    expect(create.stderr).toBe('');
    const api = (args: string[]) => tlsql(t.dataDir, ['--endpoint-url', t.service.apiUrl, ...args]);
    expect((await api(['iam', 'create-user', '--user-name', 'jane-app'])).code).toBe(0);
    const k = JSON.parse((await api(['iam', 'create-access-key', '--user-name', 'jane-app'])).stdout) as { AccessKey: { AccessKeyId: string; SecretAccessKey: string } };
    const key = { accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey };
    expect((await api(['iam', 'allow-db-connect', '--user-name', 'jane-app', '--db-instance-identifier', 'alpha', '--db-user', 'jane_doe'])).code).toBe(0);
    const token = await new Signer({ hostname: alpha.host, port: alpha.port, username: 'jane_doe', region: 'us-east-1', credentials: key }).getAuthToken();
    const r = await run(
      process.execPath,
      [TLSQL_BIN, '--data-dir', t.dataDir, 'mysql', `--host=${alpha.host}`, `--port=${alpha.port}`, `--ssl-ca=${t.bundlePath}`, '--enable-cleartext-plugin', '--user=jane_doe', `--password=${token}`, '-N', '-e', "SELECT CURRENT_USER(); SHOW SESSION STATUS LIKE 'Ssl_version'"],
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^jane_doe@%\nSsl_version\tTLSv1\.[23]\n$/);
    // Without --enable-cleartext-plugin the client refuses to send the token, as MySQL's does.
    const noPlugin = await run(process.execPath, [TLSQL_BIN, '--data-dir', t.dataDir, 'mysql', `--host=${alpha.host}`, `--port=${alpha.port}`, `--ssl-ca=${t.bundlePath}`, '--user=jane_doe', `--password=${token}`, '-e', 'SELECT 1']);
    expect(noPlugin.code).toBe(1);
    expect(noPlugin.stderr).toMatch(/^ERROR 2059 \(HY000\): Authentication plugin 'mysql_clear_password' cannot be loaded/m);
    expect(noPlugin.stderr).toMatch(/^Hint: .*--enable-cleartext-plugin/m);
  });
});

describe('tlsql mysql -p without a terminal', () => {
  it('reads the password from the first line of stdin when the process has no terminal (setsid)', async () => {
    const r = await run('setsid', ['-w', process.execPath, TLSQL_BIN, '--data-dir', t.dataDir, 'mysql', ...login(alpha).slice(0, -1), `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-p', '-N'], {
      input: `${alpha.password}\nSELECT 'after the password';\n`,
    });
    expect(r.stderr).toBe('Enter password: \n');
    expect(r.stdout).toBe('after the password\n');
    expect(r.code).toBe(0);
  });
});
