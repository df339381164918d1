/**
 * The interactive `tlsql mysql` monitor on a pseudo-terminal (util-linux `script`), typed at like
 * a person would: password prompt without echo, banner, multi-line statements, `\G`, `status`,
 * Ctrl-C on a half-typed and on a running statement, history, exit.
 */

import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLSQL_BIN } from '../../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../../helpers/service.js';
import { Pty } from './pty.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let home: string;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'desk');
  home = await mkdtemp(join(tmpdir(), 'tlsql-home-'));
}, 240_000);

afterAll(async () => {
  await t?.close();
});

/** Starts the monitor the way the RDS guide says, with -p, and logs in at the prompt. */
async function monitor(extraEnv: NodeJS.ProcessEnv = {}): Promise<Pty> {
  const pty = new Pty(
    [process.execPath, TLSQL_BIN, '--data-dir', t.dataDir, 'mysql', '-h', db.host, `--ssl-ca=${t.bundlePath}`, '--ssl-mode=VERIFY_IDENTITY', '-P', String(db.port), '-u', 'admin', '-p'],
    { env: { ...process.env, HOME: home, ...extraEnv } },
  );
  await pty.waitFor(/Enter password: $/);
  pty.type(`${db.password}\r`);
  await pty.waitFor(/mysql> $/);
  return pty;
}

describe('tlsql mysql interactive monitor', () => {
  it('asks for the password without echo and greets with server version, connection id and TLS', async () => {
    const pty = await monitor();
    try {
      const text = pty.text;
      expect(text).not.toContain(db.password);
      expect(text).toMatch(/Server 10\.\d+\.\d+-MariaDB\S*, connection id \d+\./);
      expect(text).toMatch(/Encrypted with TLSv1\.[23] \(TLS_[A-Z0-9_]+\); server identity verified \(VERIFY_IDENTITY\)/);
      pty.type('\\q\r');
      await pty.waitFor(/Bye/);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
  });

  it('runs a statement typed over several lines, showing the continuation prompt, as a table', async () => {
    const pty = await monitor();
    try {
      let m = pty.mark();
      pty.type('SELECT 1 AS one,\r');
      await pty.waitFor(/ {4}-> $/, { from: m });
      m = pty.mark();
      pty.type("  'tls' AS two\r");
      await pty.waitFor(/ {4}-> $/, { from: m });
      m = pty.mark();
      pty.type(';\r');
      const out = await pty.waitFor(/1 row in set \(\d+\.\d\d sec\)\n\nmysql> $/, { from: m });
      expect(out).toContain('+-----+-----+\n| one | two |\n+-----+-----+\n|   1 | tls |\n+-----+-----+\n');
      pty.type('quit\r');
      await pty.waitFor(/Bye/);
    } finally {
      pty.kill();
    }
  });

  it('prints \\G results vertically and shows an open quote in the prompt', async () => {
    const pty = await monitor();
    try {
      let m = pty.mark();
      pty.type("SELECT 'it''s\r");
      await pty.waitFor(/ {4}'> $/, { from: m });
      m = pty.mark();
      pty.type("' AS quote, 2 AS n\\G\r");
      const out = await pty.waitFor(/1 row in set[^\n]*\n\nmysql> $/, { from: m });
      expect(out).toContain("*************************** 1. row ***************************\nquote: it's\n\n    n: 2\n");
      pty.type('exit\r');
      await pty.waitFor(/Bye/);
    } finally {
      pty.kill();
    }
  });

  it('status shows the TLS version, the cipher and how the server identity was verified', async () => {
    const pty = await monitor();
    try {
      const m = pty.mark();
      pty.type('status\r');
      const out = await pty.waitFor(/--------------\n\nmysql> $/, { from: m });
      expect(out).toMatch(/SSL:\s+Cipher in use is TLS_[A-Z0-9_]+, TLS version TLSv1\.[23]/);
      expect(out).toMatch(/Server sees:\s+TLSv1\.[23], TLS_/);
      expect(out).toMatch(new RegExp(`Server identity:\\s+verified \\(VERIFY_IDENTITY\\): chain to "tlsql us-east-1 Root CA RSA2048 G1" from global-bundle\\.pem, host name ${db.host.replace(/\./g, '\\.')} matches DNS:`));
      expect(out).toMatch(/Connection id:\s+\d+/);
      expect(out).toMatch(new RegExp(`TCP port:\\s+${db.port}`));
      const m2 = pty.mark();
      pty.type('\\s\r');
      await pty.waitFor(/Server identity:/, { from: m2 });
      pty.type('\\q\r');
      await pty.waitFor(/Bye/);
    } finally {
      pty.kill();
    }
  });

  it('Ctrl-C drops a half-typed statement and cancels a running one with KILL QUERY, keeping the session', async () => {
    const pty = await monitor();
    try {
      let m = pty.mark();
      pty.type('SELECT "never\r');
      await pty.waitFor(/ {4}"> $/, { from: m });
      m = pty.mark();
      pty.type('\x03');
      await pty.waitFor(/\^C\nmysql> $/, { from: m });

      m = pty.mark();
      pty.type('SELECT SLEEP(30);\r');
      await new Promise((r) => setTimeout(r, 700));
      pty.type('\x03');
      const out = await pty.waitFor(/ERROR 1317 \(70100\): Query execution was interrupted\n\nmysql> $/, { from: m, timeoutMs: 15_000 });
      expect(out).toMatch(/\^C -- sending "KILL QUERY \d+" to server \.\.\.\n\^C -- query aborted\n/);

      // Same session afterwards: the statement typed before Ctrl-C is gone, the connection works.
      m = pty.mark();
      pty.type('SELECT CONNECTION_ID() > 0 AS alive;\r');
      const after = await pty.waitFor(/1 row in set[^\n]*\n\nmysql> $/, { from: m });
      expect(after).toMatch(/\|\s+1 \|/);
      expect(after).not.toContain('never');
      pty.type('exit\r');
      await pty.waitFor(/Bye/);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
  });

  it('keeps a history file (0600) without statements that carry passwords', async () => {
    const histfile = join(home, 'history');
    const pty = await monitor({ MYSQL_HISTFILE: histfile });
    try {
      let m = pty.mark();
      pty.type("SELECT 'remember me';\r");
      await pty.waitFor(/row in set[^\n]*\n\nmysql> $/, { from: m });
      m = pty.mark();
      pty.type("CREATE USER 'h'@'%' IDENTIFIED BY 'Hist-secret-9';\r");
      await pty.waitFor(/Query OK, 0 rows affected[^\n]*\n\nmysql> $/, { from: m });
      pty.type('exit\r');
      await pty.waitFor(/Bye/);
    } finally {
      pty.kill();
    }
    const history = await readFile(histfile, 'utf8');
    expect(history).toContain("SELECT 'remember me';");
    expect(history).not.toContain('Hist-secret-9');
    expect((await stat(histfile)).mode & 0o777).toBe(0o600);

    // The next session offers it with the up arrow.
    const again = await monitor({ MYSQL_HISTFILE: histfile });
    try {
      const m = again.mark();
      again.type('\x1b[A');
      await again.waitFor(/SELECT 'remember me';/, { from: m });
      again.type('\x15\\q\r');
      await again.waitFor(/Bye/);
    } finally {
      again.kill();
    }
  });
});
