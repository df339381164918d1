import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mariadb from 'mariadb';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mariadbCli, mysql2Tls, run, statusVar } from '../helpers/clients.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'acme');
});

afterAll(async () => {
  await t?.close();
});

describe('a DB instance endpoint certified by tlsql CA', () => {
  it('serves the Debian mariadb client with --ssl-ca and --ssl-verify-server-cert for DDL, DML and queries', async () => {
    const r = await mariadbCli({
      ...db,
      ca: t.bundlePath,
      sql: "CREATE DATABASE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20)); INSERT INTO shop.items VALUES (1, 'anvil'), (2, 'rocket'); SELECT name FROM shop.items ORDER BY id; SHOW SESSION STATUS LIKE 'Ssl_version';",
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/anvil\nrocket\nSsl_version\tTLSv1\.[23]/);
  });

  it('fails verification when reached through another name that resolves to the same address', async () => {
    const other = `not-${db.host}`; // *.localhost resolves to loopback, but this name is not in the certificate
    expect(execFileSync('getent', ['hosts', other]).toString()).toMatch(/127\.0\.0\.1|::1/);
    const r = await mariadbCli({ ...db, host: other, ca: t.bundlePath, sql: 'SELECT 1' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ERROR 2026|certificate|hostname|SSL/i);
    const byLocalhost = await mariadbCli({ ...db, host: 'localhost', extra: ['--protocol=TCP'], ca: t.bundlePath, sql: 'SELECT 1' });
    expect(byLocalhost.code).not.toBe(0);
  });

  it('gives mysql2 with verifyIdentity a verified TLS session by endpoint name', async () => {
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    try {
      expect(await statusVar(c, 'Ssl_version')).toMatch(/^TLSv1\.[23]$/);
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT 1 + 1 AS two');
      expect(rows[0]!.two).toBe(2);
    } finally {
      await c.end();
    }
  });

  it('mirrors a TLS 1.2 client version and cipher on the engine link', async () => {
    const c = await mysql2Tls({ ...db, ca: t.bundlePath, tls: { maxVersion: 'TLSv1.2' } });
    try {
      expect(await statusVar(c, 'Ssl_version')).toBe('TLSv1.2');
      const cipher = (c as unknown as { connection: { stream: { getCipher(): { name: string } } } }).connection.stream.getCipher().name;
      expect(await statusVar(c, 'Ssl_cipher')).toBe(cipher);
    } finally {
      await c.end();
    }
  });

  it('rejects mysql2 when the CA bundle does not contain the issuing root', async () => {
    const wrongCa = execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=wrong', '-days', '1'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    await expect(
      mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, ssl: { ca: wrongCa, verifyIdentity: true } }),
    ).rejects.toThrow(/certificate|self.signed|issuer/i);
  });

  it('serves clients that resume their TLS session (one mysql2 ssl object reused, as pools do)', async () => {
    const ssl = { ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true };
    for (let i = 0; i < 4; i++) {
      const c = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, ssl });
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
      expect(rows[0]!.one).toBe(1);
      await c.end();
    }
  });

  it('gives the mariadb npm connector (host name checked by default) a TLS session', async () => {
    const c = await mariadb.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password, ssl: { ca: readFileSync(t.bundlePath, 'utf8') } });
    try {
      const rows = await c.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
      expect(rows[0].Value).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await c.end();
    }
  });

  it('enforces REQUIRE SSL natively and shows the client address in USER()', async () => {
    const admin = await mysql2Tls({ ...db, ca: t.bundlePath });
    await admin.query("CREATE USER 'encrypted_user'@'%' IDENTIFIED BY 'Enc-pass-1'");
    await admin.query("ALTER USER 'encrypted_user'@'%' REQUIRE SSL");
    await admin.end();

    const plain = mysql.createConnection({ host: db.host, port: db.port, user: 'encrypted_user', password: 'Enc-pass-1' });
    await expect(plain).rejects.toMatchObject({ errno: 1045 });

    const c = await mysql2Tls({ ...db, user: 'encrypted_user', password: 'Enc-pass-1', ca: t.bundlePath });
    try {
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT USER() AS u, CURRENT_USER() AS cu');
      expect(rows[0]!.cu).toBe('encrypted_user@%');
      expect(rows[0]!.u).toMatch(/^encrypted_user@(127\.0\.0\.1|::1)$/);
    } finally {
      await c.end();
    }
  });


  it('carries a multi-megabyte statement up and a 40 MB result down intact, byte for byte', async () => {
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    try {
      // Up: one 4 MiB statement (hundreds of TLS records in one client write), checked by the engine.
      const blob = randomBytes(4 * 1024 * 1024);
      await c.query('CREATE DATABASE IF NOT EXISTS bulk');
      await c.query('CREATE TABLE bulk.blobs (id INT PRIMARY KEY, b LONGBLOB)');
      await c.query('INSERT INTO bulk.blobs VALUES (1, ?)', [blob]);
      const [up] = await c.query<mysql.RowDataPacket[]>('SELECT LENGTH(b) AS n, SHA2(b, 256) AS h FROM bulk.blobs WHERE id = 1');
      expect(up[0]!.n).toBe(blob.length);
      expect(up[0]!.h).toBe(createHash('sha256').update(blob).digest('hex'));
      // Down: ~40 MB of rows (thousands of full TLS records), every byte of which the client can predict.
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT seq, SHA2(seq, 256) AS h, REPEAT(CHAR(65 + seq % 26 USING ascii), 1000) AS pad FROM mysql.seq_1_to_40000 ORDER BY seq');
      expect(rows.length).toBe(40000);
      // Compared row by row, reporting only the first difference (never the whole result).
      const firstWrong = rows.findIndex((r, i) => r.seq !== i + 1 || r.h !== createHash('sha256').update(String(i + 1)).digest('hex') || r.pad !== String.fromCharCode(65 + ((i + 1) % 26)).repeat(1000));
      expect(firstWrong).toBe(-1);
    } finally {
      await c.end();
    }
  });

  it('gives each client its own address in USER(), over IPv4 and IPv6 alternately', async () => {
    for (const address of ['127.0.0.1', '::1', '127.0.0.1', '::1']) {
      const c = await mysql2Tls({ ...db, ca: t.bundlePath, address });
      try {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT USER() AS u');
        expect(rows[0]!.u).toBe(`admin@${address}`);
      } finally {
        await c.end();
      }
    }
  });

  it('resumes one engine-link TLS session across new connections, also after a client gave up mid-handshake', async () => {
    const link = t.service.control.runtime.frontDoor('acme')!.engineLink();
    await (await mysql2Tls({ ...db, ca: t.bundlePath })).end(); // the link has a session to resume
    // A client that rejects the endpoint's certificate leaves while its engine link is being set up.
    await expect(mysql2Tls({ ...db, host: `not-${db.host}`, ca: t.bundlePath })).rejects.toThrow(/altnames|certificate/i);
    const before = { ...link.stats };
    for (let i = 0; i < 10; i++) {
      const c = await mysql2Tls({ ...db, ca: t.bundlePath });
      expect(await statusVar(c, 'Ssl_version')).toMatch(/^TLSv1\.[23]$/);
      await c.end();
    }
    // The link of the client that gave up may finish inside this window too; every one resumed.
    const handshakes = link.stats.handshakes - before.handshakes;
    expect(handshakes).toBeGreaterThanOrEqual(10);
    expect(link.stats.resumed - before.resumed).toBe(handshakes);
  });

  it('shows leaf then subordinate to openssl s_client -starttls mysql with Verify return code 0', async () => {
    const r = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath, '-showcerts'], { input: '' });
    expect(r.stdout).toContain('Verify return code: 0 (ok)');
    expect(r.stdout).toMatch(new RegExp(`0 s:.*CN ?= ?${db.host.replace(/\./g, '\\.')}`));
    expect(r.stdout).toMatch(/1 s:.*CN ?= ?tlsql us-east-1 Subordinate CA RSA2048 G1\.A\.1/);
    expect(r.stdout).not.toMatch(/\n 2 s:/); // the root is not sent
  });

  it('keeps serving other clients while 200 silent connections and a garbage-sending client are open', async () => {
    const silent: net.Socket[] = [];
    for (let i = 0; i < 200; i++) silent.push(net.connect({ host: '127.0.0.1', port: db.port }));
    await Promise.all(silent.map((s) => new Promise((r) => s.once('connect', r))));
    const garbage = net.connect({ host: '127.0.0.1', port: db.port });
    const garbageReply = new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = [];
      garbage.on('data', (d) => chunks.push(d));
      garbage.on('close', () => resolve(Buffer.concat(chunks)));
    });
    garbage.once('data', () => garbage.write(randomBytes(4096)));
    try {
      const c = await mysql2Tls({ ...db, ca: t.bundlePath });
      const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT 42 AS x');
      expect(rows[0]!.x).toBe(42);
      await c.end();
      const reply = await garbageReply;
      // Greeting, then an ERR packet (0xff) ends the garbage session.
      expect(reply.includes(Buffer.from([0xff]))).toBe(true);
    } finally {
      silent.forEach((s) => s.destroy());
      garbage.destroy();
    }
  });
});
