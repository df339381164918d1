import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStateEvent } from '../../../src/engine/engine.js';
import type { LocalMariadbEngine } from '../../../src/engine/local-mariadb.js';
import { instanceLayout } from '../../../src/engine/mariadb-config.js';
import { spawnMariadbd } from '../../../src/engine/mariadb-process.js';
import { resolveRunAs } from '../../../src/engine/run-as.js';
import { createLogger } from '../../../src/lib/logger.js';
import { createEngineFixture, waitFor, withClient, type EngineFixture } from '../../helpers/engine-fixture.js';

const PASSWORD = 'Secret-pw-1';

async function rowCount(engine: LocalMariadbEngine, id: string): Promise<number> {
  return engine.admin(id, async (c) => Number((await c.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.t'))[0][0]?.n));
}

async function insertCommitted(engine: LocalMariadbEngine, id: string, n: number): Promise<void> {
  await withClient({ socketPath: engine.socketPath(id), user: 'admin', password: PASSWORD }, async (c) => {
    await c.query('CREATE DATABASE IF NOT EXISTS app');
    await c.query('CREATE TABLE IF NOT EXISTS app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB');
    for (let i = 0; i < n; i++) await c.query('INSERT INTO app.t (v) VALUES (?)', [`row${i}`]);
  });
}

async function maxConnections(engine: LocalMariadbEngine, id: string): Promise<number> {
  return engine.admin(id, async (c) => Number((await c.query<RowDataPacket[]>('SELECT @@max_connections AS n'))[0][0]?.n));
}

function statesSince(events: EngineStateEvent[], from: number, id: string): string[] {
  return events.slice(from).filter((e) => e.id === id).map((e) => e.state);
}

/** True when `pid` no longer runs (absent, or a zombie awaiting its parent). */
function gone(pid: number): boolean {
  try {
    return /\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('LocalMariadbEngine supervision', () => {
  let fx: EngineFixture;
  const logLines: string[] = [];

  beforeAll(async () => {
    fx = await createEngineFixture({ logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }) });
  });
  afterAll(async () => {
    await fx?.cleanup();
  });

  it('restarts mariadbd after kill -9, reporting crashed, restarting, running, and keeps committed data', async () => {
    await fx.engine.provision(fx.spec('crashdb'));
    await insertCommitted(fx.engine, 'crashdb', 50);
    const oldPid = fx.engine.pid('crashdb')!;
    const from = fx.events.length;

    process.kill(oldPid, 'SIGKILL');
    await waitFor('a restarted mariadbd', () => fx.engine.state('crashdb') === 'running' && fx.engine.pid('crashdb') !== oldPid);

    expect(statesSince(fx.events, from, 'crashdb')).toEqual(['crashed', 'restarting', 'running']);
    const crashed = fx.events.slice(from).find((e) => e.state === 'crashed');
    expect(crashed).toMatchObject({ id: 'crashdb', exitCode: null, signal: 'SIGKILL' });
    expect(await rowCount(fx.engine, 'crashdb')).toBe(50);
  });

  it('backs off between failed restarts (doubling) and recovers once the cause is fixed', async () => {
    const id = 'loopdb';
    await fx.engine.provision(fx.spec(id));
    const layout = instanceLayout(fx.engine.instanceDir(id));
    const goodCnf = await readFile(layout.myCnf, 'utf8');
    const from = fx.events.length;
    const logFrom = logLines.length;

    // An option 10.11 does not know makes every restart fail until the file is fixed.
    await writeFile(layout.myCnf, goodCnf + 'no-such-option-in-10-11 = 1\n');
    process.kill(fx.engine.pid(id)!, 'SIGKILL');
    const delays = () =>
      logLines
        .slice(logFrom)
        .map((l) => JSON.parse(l) as { msg: string; id?: string; delayMs?: number })
        .filter((l) => l.msg === 'engine restart scheduled' && l.id === id)
        .map((l) => l.delayMs);
    await waitFor('three scheduled restarts', () => delays().length >= 3);
    await writeFile(layout.myCnf, goodCnf);
    await waitFor('recovery', () => fx.engine.state(id) === 'running');

    expect(delays().slice(0, 3)).toEqual([100, 200, 400]);
    const states = statesSince(fx.events, from, id);
    expect(states.slice(0, 4)).toEqual(['crashed', 'restarting', 'crashed', 'restarting']);
    expect(states.at(-1)).toBe('running');
    const failed = fx.events.slice(from).find((e) => e.id === id && e.reason?.startsWith('restart failed'));
    expect(failed?.reason).toMatch(/mariadbd exited during start/);
  });

  it('stop() shuts down cleanly without a restart, and start() brings the same data back', async () => {
    const id = 'stopdb';
    await fx.engine.provision(fx.spec(id));
    await insertCommitted(fx.engine, id, 5);
    const pid = fx.engine.pid(id)!;
    const from = fx.events.length;

    await fx.engine.stop(id);
    // The supervisor reacts to the exit before stop() resolves; a crash would already show here.
    expect(statesSince(fx.events, from, id)).toEqual(['stopped']);
    expect(fx.engine.state(id)).toBe('stopped');
    expect(fx.engine.pid(id)).toBeNull();
    expect(gone(pid)).toBe(true);
    expect(await readFile(instanceLayout(fx.engine.instanceDir(id)).errorLog, 'utf8')).toMatch(/Shutdown complete/);

    await fx.engine.start(id);
    expect(fx.engine.state(id)).toBe('running');
    expect(await rowCount(fx.engine, id)).toBe(5);
    await fx.engine.start(id); // idempotent while running
    expect(statesSince(fx.events, from, id)).toEqual(['stopped', 'starting', 'running']);
  });

  describe('after a tlsql restart (a second engine object on the same data dir)', () => {
    /** A mariadbd for `id` that no engine object supervises, as a crashed tlsql would leave it. */
    async function leaveOrphan(id: string): Promise<number> {
      await fx.engine.stop(id);
      const layout = instanceLayout(fx.engine.instanceDir(id));
      const proc = await spawnMariadbd({ mariadbd: '/usr/sbin/mariadbd', myCnf: layout.myCnf, runAs: await resolveRunAs(), stderrLog: layout.stderrLog });
      await waitFor('the orphan to accept connections', () =>
        withClient({ socketPath: layout.socketPath, user: 'admin', password: PASSWORD }, async () => true),
      );
      return proc.pid;
    }

    it('adopts a healthy orphaned mariadbd without restarting it, then supervises it', async () => {
      const id = 'adoptdb';
      await fx.engine.provision(fx.spec(id));
      await insertCommitted(fx.engine, id, 7);
      const orphan = await leaveOrphan(id);

      const engine2 = fx.newEngine();
      const events: EngineStateEvent[] = [];
      engine2.on('state', (e) => events.push(e));
      await engine2.start(id);
      expect(engine2.pid(id)).toBe(orphan);
      expect(events.map((e) => [e.state, e.reason])).toEqual([['running', 'adopted a running process']]);
      expect(await rowCount(engine2, id)).toBe(7);

      // Not its child: the exit is noticed by watching /proc, then handled like any crash.
      process.kill(orphan, 'SIGKILL');
      await waitFor('engine2 to restart it', () => engine2.state(id) === 'running' && engine2.pid(id) !== orphan);
      expect(events.map((e) => e.state)).toEqual(['running', 'crashed', 'restarting', 'running']);
      expect(await rowCount(engine2, id)).toBe(7);
      await engine2.stop(id);
    });

    it('gives an adopted mariadbd the server variables recorded for it before start() returns', async () => {
      const id = 'adoptvars';
      await fx.engine.provision(fx.spec(id));
      const orphan = await leaveOrphan(id);
      expect(await maxConnections(fx.engine, id)).not.toBe(39);

      const engine2 = fx.newEngine();
      await engine2.setServerVariables(id, { max_connections: '39' });
      await engine2.start(id);
      expect(engine2.pid(id)).toBe(orphan);
      expect(await maxConnections(engine2, id)).toBe(39);
      await engine2.stop(id);
    });

    it('kills an orphan that does not answer and starts a fresh mariadbd', async () => {
      const id = 'hungdb';
      await fx.engine.provision(fx.spec(id));
      await insertCommitted(fx.engine, id, 3);
      const orphan = await leaveOrphan(id);
      process.kill(orphan, 'SIGSTOP'); // alive in /proc, but answers nothing

      const engine2 = fx.newEngine({ readyTimeoutMs: 1_500 });
      await engine2.start(id);
      expect(engine2.pid(id)).not.toBe(orphan);
      expect(gone(orphan)).toBe(true);
      expect(await rowCount(engine2, id)).toBe(3);
      await engine2.stop(id);
    });
  });

  it('runs with its recorded server variables from every start: provision, crash restart, start; and sets them on a running engine', async () => {
    const id = 'varsdb';
    await fx.engine.setServerVariables(id, { max_connections: '37' });
    await fx.engine.provision(fx.spec(id));
    expect(await maxConnections(fx.engine, id)).toBe(37);

    await fx.engine.setServerVariables(id, { max_connections: '38' });
    expect(await maxConnections(fx.engine, id)).toBe(38);

    const pid = fx.engine.pid(id)!;
    process.kill(pid, 'SIGKILL');
    await waitFor('a restarted mariadbd', () => fx.engine.state(id) === 'running' && fx.engine.pid(id) !== pid);
    expect(await maxConnections(fx.engine, id)).toBe(38);

    await fx.engine.stop(id);
    await fx.engine.start(id);
    expect(await maxConnections(fx.engine, id)).toBe(38);

    await expect(fx.engine.setServerVariables(id, { max_connections: '1; DROP DATABASE mysql' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    expect(await maxConnections(fx.engine, id)).toBe(38);
    await fx.engine.stop(id);
  });

  it('destroy() stops the instance and removes its directory', async () => {
    const id = 'gonedb';
    await fx.engine.provision(fx.spec(id));
    const pid = fx.engine.pid(id)!;
    await fx.engine.destroy(id);
    expect(gone(pid)).toBe(true);
    expect(existsSync(fx.engine.instanceDir(id))).toBe(false);
    expect(fx.engine.state(id)).toBe('stopped');
  });
});
