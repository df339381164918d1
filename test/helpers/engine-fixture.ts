import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { EngineInstanceSpec, EngineStateEvent } from '../../src/engine/engine.js';
import { LocalMariadbEngine, type LocalMariadbEngineOptions } from '../../src/engine/local-mariadb.js';
import { createTestPki, type TestPki } from './engine-tls.js';

/** A temp data dir and a LocalMariadbEngine on it, recording state events. */
export interface EngineFixture {
  dataDir: string;
  masterKey: Buffer;
  engine: LocalMariadbEngine;
  events: EngineStateEvent[];
  /** Another engine object on the same data dir and key: a restarted tlsql process. */
  newEngine(overrides?: Partial<LocalMariadbEngineOptions>): LocalMariadbEngine;
  spec(id: string, overrides?: Partial<EngineInstanceSpec>): EngineInstanceSpec & { tls: TestPki };
  /** Stops every engine made here, then removes the data dir. */
  cleanup(): Promise<void>;
}

export async function createEngineFixture(opts: Partial<LocalMariadbEngineOptions> = {}): Promise<EngineFixture> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tlsql-engine-'));
  const masterKey = randomBytes(32);
  const detected = await LocalMariadbEngine.detect();
  const engines: LocalMariadbEngine[] = [];
  const make = (overrides: Partial<LocalMariadbEngineOptions> = {}) => {
    const e = new LocalMariadbEngine({ dataDir, masterKey, ...detected, restartBackoffMs: 100, ...opts, ...overrides });
    engines.push(e);
    return e;
  };
  const engine = make();
  const events: EngineStateEvent[] = [];
  engine.on('state', (e) => events.push(e));
  return {
    dataDir,
    masterKey,
    engine,
    events,
    newEngine: make,
    spec: (id, overrides = {}) => ({
      id,
      dir: engine.instanceDir(id),
      tls: createTestPki(`${id}.engine.tlsql.internal`),
      masterUsername: 'admin',
      masterUserPassword: 'Secret-pw-1',
      ...overrides,
    }) as EngineInstanceSpec & { tls: TestPki },
    cleanup: async () => {
      for (const e of engines) await e.shutdownAll();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns something other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A client connection over the engine socket (no PROXY header), closed by `fn`'s end. */
export async function withClient<T>(opts: ConnectionOptions, fn: (c: Connection) => Promise<T>): Promise<T> {
  const conn = await createConnection(opts);
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
