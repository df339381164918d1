import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { createConnection, type ConnectionOptions, type RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeProxyV2 } from '../../../src/protocol/proxy-v2.js';
import { ADMIN_HOST, ADMIN_USER } from '../../../src/engine/admin-account.js';
import { quoteString } from '../../../src/engine/sql-quote.js';
import { nativePasswordHash } from '../../../src/protocol/native-password.js';
import { AppError } from '../../../src/errors/app-error.js';
import { readSealedFile } from '../../../src/pki/key-store.js';
import { createEngineFixture, withClient, type EngineFixture } from '../../helpers/engine-fixture.js';
import { createTestPki, fetchServerCertificate, socketWithPrefix, type TestPki } from '../../helpers/engine-tls.js';

const ID = 'provdb';
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;
// Quotes, backslashes and SQL punctuation: the password must survive quoting end to end.
const MASTER_PASSWORD = `pa'ss\\"wo\`rd;-- \\'x`;

/** The TCP sockets (listening or not) that `pid` holds open, found through /proc. */
async function tcpSocketsOf(pid: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m?.[1]) inodes.add(m[1]);
  }
  const tcp: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8')).trim().split('\n').slice(1);
    for (const line of lines) {
      const cols = line.trim().split(/\s+/);
      if (inodes.has(cols[9] ?? '')) tcp.push(`${table} ${cols[1]} state ${cols[3]}`);
    }
  }
  return tcp;
}

describe('LocalMariadbEngine.provision', () => {
  let fx: EngineFixture;
  let tls: TestPki & { caKeyPem: string };
  let socketPath: string;
  let servedCertPem: string;
  let masterPassword = MASTER_PASSWORD;

  beforeAll(async () => {
    fx = await createEngineFixture();
    tls = createTestPki(`${ID}.engine.tlsql.internal`);
    await fx.engine.provision({ ...fx.spec(ID), tls, masterUserPassword: MASTER_PASSWORD });
    socketPath = fx.engine.socketPath(ID);
    servedCertPem = tls.certPem;
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('leaves the instance running and reports starting then running', () => {
    expect(fx.engine.state(ID)).toBe('running');
    expect(fx.engine.pid(ID)).toBeGreaterThan(0);
    expect(fx.events.filter((e) => e.id === ID).map((e) => e.state)).toEqual(['starting', 'running']);
  });

  it('listens on the unix socket only: mariadbd holds no TCP socket at all', async () => {
    const pid = fx.engine.pid(ID)!;
    expect(await tcpSocketsOf(pid)).toEqual([]);
    const unix = await readFile('/proc/net/unix', 'utf8');
    expect(unix).toContain(socketPath);
    const skip = await fx.engine.admin(ID, async (c) => (await c.query<RowDataPacket[]>('SELECT @@skip_networking AS v'))[0][0]?.v);
    expect(Number(skip)).toBe(1);
  });

  it('keeps the socket in a 0700 directory owned by the account mariadbd runs as', async () => {
    const st = await stat(`${fx.engine.instanceDir(ID)}/run`);
    expect(st.mode & 0o777).toBe(0o700);
    const status = await readFile(`/proc/${fx.engine.pid(ID)}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
    expect(st.uid).toBe(uid);
    if (process.getuid?.() === 0) expect(uid).not.toBe(0);
  });

  it("creates the master user as '<name>'@'%' with every privilege but those over read_only and replication, WITH GRANT OPTION", async () => {
    const grants = await fx.engine.admin(ID, async (c) => {
      const [rows] = await c.query<RowDataPacket[]>("SHOW GRANTS FOR 'admin'@'%'");
      return rows.map((r) => String(Object.values(r)[0]));
    });
    const global = grants.find((g) => / ON \*\.\* TO `admin`@`%` IDENTIFIED BY PASSWORD '\*[0-9A-F]{40}' WITH GRANT OPTION$/.test(g));
    for (const p of ['SELECT', 'CREATE USER', 'REPLICATION SLAVE', 'BINLOG MONITOR', 'CONNECTION ADMIN', 'PROCESS', 'RELOAD']) expect(global).toContain(p);
    for (const p of ['SUPER', 'READ_ONLY ADMIN', 'REPLICATION SLAVE ADMIN', 'BINLOG ADMIN', 'BINLOG REPLAY']) expect(global).not.toContain(p);
  });

  it('removes every default account, keeping only the internal admin and mariadb.sys', async () => {
    const accounts = await fx.engine.admin(ID, async (c) => {
      const [rows] = await c.query<RowDataPacket[]>('SELECT CONCAT(User, "@", Host) AS a FROM mysql.global_priv ORDER BY a');
      return rows.map((r) => String(r.a));
    });
    expect(accounts).toEqual(['admin@%', 'mariadb.sys@localhost', `${ADMIN_USER}@${ADMIN_HOST}`]);
    const proxies = await fx.engine.admin(ID, async (c) => (await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM mysql.proxies_priv'))[0][0]?.n);
    expect(Number(proxies)).toBe(0);
  });

  it('lets the master user log in over the socket with a verified TLS connection (chain and hostname)', async () => {
    const [version, user] = await withClient(
      { socketPath, host: tls.hostname, user: 'admin', password: MASTER_PASSWORD, ssl: { ca: tls.caPem, verifyIdentity: true } },
      async (c) => {
        const [rows] = await c.query<RowDataPacket[]>("SHOW STATUS LIKE 'Ssl_version'");
        const [who] = await c.query<RowDataPacket[]>('SELECT CURRENT_USER() AS u');
        return [String(rows[0]?.Value), String(who[0]?.u)];
      },
    );
    expect(['TLSv1.2', 'TLSv1.3']).toContain(version);
    expect(user).toBe('admin@%');
  });

  it('serves a certificate that fails verification for another hostname', async () => {
    await expect(fetchServerCertificate(socketPath, { ca: tls.caPem, servername: 'other.engine.tlsql.internal' })).rejects.toThrow(/altnames|Hostname/i);
    const { cert, protocol } = await fetchServerCertificate(socketPath, { ca: tls.caPem, servername: tls.hostname });
    expect(cert.subject.CN).toBe(tls.hostname);
    expect(['TLSv1.2', 'TLSv1.3']).toContain(protocol);
  });

  it('serves only the configured TLS versions', async () => {
    const versions = await fx.engine.admin(ID, async (c) => (await c.query<RowDataPacket[]>('SELECT @@tls_version AS v'))[0][0]?.v);
    expect(versions).toBe('TLSv1.2,TLSv1.3');
  });

  it('accepts a PROXY v2 header on the socket and shows the claimed client address', async () => {
    const stream = await socketWithPrefix(socketPath, encodeProxyV2({ sourceAddress: '203.0.113.7', sourcePort: 50123, destAddress: '127.0.0.1', destPort: 3306 }));
    const who = await withClient({ stream, user: 'admin', password: MASTER_PASSWORD }, async (c) => {
      const [rows] = await c.query<RowDataPacket[]>('SELECT USER() AS u, CURRENT_USER() AS cu');
      return rows[0];
    });
    expect(who?.u).toBe('admin@203.0.113.7');
    expect(who?.cu).toBe('admin@%');
  });

  describe('internal admin account', () => {
    const adminPassword = async () =>
      (await readSealedFile(`${fx.engine.instanceDir(ID)}/admin.secret.sealed`, fx.masterKey, `instances/${ID}/admin.secret`)).toString();
    const loginError = (opts: ConnectionOptions) => withClient(opts, async () => null).catch((e: { errno?: number }) => e.errno ?? e);

    it('cannot be reached through a PROXY header claiming loopback or any client address, even with its password', async () => {
      const password = await adminPassword();
      for (const src of ['127.0.0.1', '::1', '10.0.0.1']) {
        const dst = src.includes(':') ? '::1' : '127.0.0.1';
        const stream = await socketWithPrefix(socketPath, encodeProxyV2({ sourceAddress: src, sourcePort: 40000, destAddress: dst, destPort: 3306 }));
        expect(await loginError({ stream, user: ADMIN_USER, password }), `through a PROXY header from ${src}`).toBe(1045);
      }
    });

    it('cannot be reached over the socket without a PROXY header either', async () => {
      expect(await loginError({ socketPath, user: ADMIN_USER, password: await adminPassword() })).toBe(1045);
    });

    it('is what admin() sessions run as', async () => {
      const who = await fx.engine.admin(ID, async (c) => (await c.query<RowDataPacket[]>('SELECT CURRENT_USER() AS u'))[0][0]?.u);
      expect(who).toBe(`${ADMIN_USER}@${ADMIN_HOST}`);
    });
  });

  it('switches off unix_socket authentication and plugin loading', async () => {
    const errno = (sql: string) => fx.engine.admin(ID, (c) => c.query(sql)).then(() => 0, (e: { errno?: number }) => e.errno);
    expect(await errno("CREATE USER 'root'@'%' IDENTIFIED VIA unix_socket")).toBe(1524);
    expect(await errno("INSTALL SONAME 'auth_pam'")).toBe(1126);
  });

  it('setMasterPassword replaces the password (quotes and backslashes included) and restores lost grants', async () => {
    const next = `n'e\\w"pw\`\n;`;
    await fx.engine.admin(ID, (c) => c.query("REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'admin'@'%'"));
    await fx.engine.setMasterPassword(ID, 'admin', next);
    const old = await withClient({ socketPath, user: 'admin', password: MASTER_PASSWORD }, async () => 'in').catch((e: { errno?: number }) => e.errno);
    expect(old).toBe(1045);
    const grants = await withClient({ socketPath, user: 'admin', password: next }, async (c) => {
      const [rows] = await c.query<RowDataPacket[]>('SHOW GRANTS');
      return rows.map((r) => String(Object.values(r)[0])).join('\n');
    });
    expect(grants).toMatch(/GRANT SELECT, INSERT, .*CREATE USER.* ON \*\.\* TO `admin`@`%` .*WITH GRANT OPTION/);
    expect(grants).not.toMatch(/SUPER|READ_ONLY ADMIN/);
    masterPassword = next;
  });

  it('quotes strings so the server reads them back unchanged, even when the global sql_mode has NO_BACKSLASH_ESCAPES', async () => {
    const nasty = [`it's`, 'back\\slash', `"dq" \`bt\``, 'nul\0byte', 'new\nline\r', '\x1a', "\\'; DROP TABLE x; -- ", 'ünï©ødé'];
    const readBack = () =>
      fx.engine.admin(ID, async (c) => {
        const out: string[] = [];
        for (const v of nasty) out.push(String((await c.query<RowDataPacket[]>(`SELECT ${quoteString(v)} AS v`))[0][0]?.v));
        return out;
      });
    expect(await readBack()).toEqual(nasty);
    await fx.engine.admin(ID, (c) => c.query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')"));
    try {
      expect(await readBack()).toEqual(nasty);
    } finally {
      await fx.engine.admin(ID, (c) => c.query("SET GLOBAL sql_mode = REPLACE(@@GLOBAL.sql_mode, 'NO_BACKSLASH_ESCAPES', '')"));
    }
  });

  it('computes the same mysql_native_password hash as the server', async () => {
    for (const pw of [MASTER_PASSWORD, 'simple', 'ünï©ødé']) {
      const server = await fx.engine.admin(ID, async (c) => (await c.query<RowDataPacket[]>('SELECT PASSWORD(?) AS h', [pw]))[0][0]?.h);
      expect(nativePasswordHash(pw)).toBe(server);
    }
  });

  it('refuses to provision an instance that already exists', async () => {
    await expect(fx.engine.provision({ ...fx.spec(ID), tls })).rejects.toMatchObject({ code: 'DBInstanceAlreadyExists' });
  });

  it('rejects TLS material whose key does not match the certificate, before touching the files', async () => {
    const other = createTestPki(tls.hostname, tls);
    await expect(fx.engine.replaceTls(ID, { ...other, keyPem: tls.keyPem })).rejects.toBeInstanceOf(AppError);
    const { cert } = await fetchServerCertificate(socketPath, { ca: tls.caPem, servername: tls.hostname });
    expect(cert.fingerprint256).toBe(fingerprint(servedCertPem));
  });

  it('replaceTls serves the new certificate to new connections while open ones keep working', async () => {
    const open = await createConnection({ socketPath, host: tls.hostname, user: 'admin', password: masterPassword, ssl: { ca: tls.caPem, verifyIdentity: true } });
    try {
      const next = createTestPki(tls.hostname, tls);
      await fx.engine.replaceTls(ID, next);
      expect((await fetchServerCertificate(socketPath, { ca: tls.caPem, servername: tls.hostname })).cert.fingerprint256).toBe(fingerprint(next.certPem));
      servedCertPem = next.certPem;
      const [rows] = await open.query<RowDataPacket[]>('SELECT 1 AS one');
      expect(rows[0]?.one).toBe(1);
    } finally {
      await open.end();
    }
  });

  it('replaceTls throws when FLUSH SSL refuses the files, and the previous certificate keeps serving, also after a restart', async () => {
    const weak = createTestPki(tls.hostname, tls, { weakLeafKey: true });
    await expect(fx.engine.replaceTls(ID, weak)).rejects.toThrow(/FLUSH SSL failed/);
    const served = async () => (await fetchServerCertificate(socketPath, { ca: tls.caPem, servername: tls.hostname })).cert.fingerprint256;
    expect(await served()).toBe(fingerprint(servedCertPem));
    await fx.engine.stop(ID);
    await fx.engine.start(ID);
    expect(await served()).toBe(fingerprint(servedCertPem));
  });
});
