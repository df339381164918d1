import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysql2Tls } from '../helpers/clients.js';
import { createInstance, engineAdminQuery, startTestService, type TestService } from '../helpers/service.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'globals');
});

afterAll(async () => {
  await t?.close();
});

const connect = () => mysql2Tls({ ...db, ca: t.bundlePath });
/** SET GLOBAL on the engine (the master user has no SUPER, as on RDS; tlsql's own account does). */
const setGlobal = (sql: string, values?: unknown[]) => engineAdminQuery(t, 'globals', sql, values);

async function scalar(c: mysql.Connection, sql: string): Promise<unknown> {
  const [rows] = await c.query<mysql.RowDataPacket[]>(sql);
  return Object.values(rows[0]!)[0];
}

/** Opens and closes a few sessions, so anything the endpoint keeps ready for the next one exists. */
async function warm(): Promise<void> {
  for (let i = 0; i < 3; i++) await (await connect()).end();
}

describe('a new session through the endpoint', () => {
  it("starts with the engine's current sql_mode right after SET GLOBAL, as on a native server", async () => {
    const admin = await connect();
    const before = String(await scalar(admin, 'SELECT @@GLOBAL.sql_mode'));
    try {
      await warm();
      await setGlobal("SET GLOBAL sql_mode = 'ANSI_QUOTES'");
      const now = String(await scalar(admin, 'SELECT @@GLOBAL.sql_mode'));
      expect(now).toMatch(/\bANSI_QUOTES\b/);
      expect(before).not.toMatch(/\bANSI_QUOTES\b/);
      const next = await connect();
      try {
        // mysql2 asks for CLIENT_IGNORE_SPACE, which MariaDB adds to the session's sql_mode.
        expect(String(await scalar(next, 'SELECT @@SESSION.sql_mode')).split(',').filter((m) => m !== 'IGNORE_SPACE').join(',')).toBe(now);
      } finally {
        await next.end();
      }
    } finally {
      await setGlobal('SET GLOBAL sql_mode = ?', [before]);
      await admin.end();
    }
  });

  it('can fetch a 20 MiB result right after SET GLOBAL max_allowed_packet raised the limit', async () => {
    const admin = await connect();
    const before = Number(await scalar(admin, 'SELECT @@GLOBAL.max_allowed_packet'));
    const size = 20 * 1024 * 1024;
    expect(before).toBeLessThan(size); // otherwise this test would prove nothing
    try {
      await warm();
      await setGlobal(`SET GLOBAL max_allowed_packet = ${64 * 1024 * 1024}`);
      const next = await connect();
      try {
        expect(Number(await scalar(next, 'SELECT @@SESSION.max_allowed_packet'))).toBe(64 * 1024 * 1024);
        const [rows] = await next.query<mysql.RowDataPacket[]>(`SELECT REPEAT('x', ${size}) AS big`);
        expect((rows[0]!.big as string).length).toBe(size);
      } finally {
        await next.end();
      }
    } finally {
      await setGlobal(`SET GLOBAL max_allowed_packet = ${before}`);
      await admin.end();
    }
  });
});
