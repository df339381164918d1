import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EngineConnector, EngineUnavailableError } from '../../../src/dataplane/engine-connector.js';
import { encodePacket } from '../../../src/protocol/framing.js';

/**
 * A unix-socket peer that greets like mariadbd (one packet, then silence). The connector's pooling
 * logic is what is under test; the e2e suites run it against real engines.
 */
class Greeter {
  server!: net.Server;
  sockets: net.Socket[] = [];
  greetings = 0;
  /** What the next connection is sent as its greeting. */
  nextPayload = (n: number) => Buffer.from([0x0a, ...Buffer.from(`greeting ${n}`), 0]);
  constructor(readonly path: string) {}
  start(): Promise<void> {
    this.server = net.createServer((s) => {
      this.sockets.push(s);
      s.on('error', () => {});
      s.write(encodePacket(0, this.nextPayload(++this.greetings)));
    });
    return new Promise((r) => this.server.listen(this.path, () => r()));
  }
  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return Promise.resolve();
    return new Promise((r) => this.server.close(() => r()));
  }
}

function until(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => (cond() ? resolve() : Date.now() - started > 5000 ? reject(new Error('condition not reached')) : setImmediate(tick));
    tick();
  });
}

let dir: string;
let greeter: Greeter;
let nowMs = 0;
let connector: EngineConnector | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'tlsql-connector-'));
  greeter = new Greeter(join(dir, 'mysqld.sock'));
  await greeter.start();
  nowMs = 0;
});

afterEach(async () => {
  connector?.close();
  connector = null;
  await greeter.stop();
  await rm(dir, { recursive: true, force: true });
});

function make(spareMaxAgeMs = 5000): EngineConnector {
  connector = new EngineConnector({ socketPath: greeter.path, connectTimeoutMs: 2000, spareMaxAgeMs, now: () => nowMs });
  return connector;
}

describe('engine connections with a pre-greeted spare', () => {
  it('hands the next session the spare greeted in the background after the first', async () => {
    const c = make();
    const first = await c.open();
    expect(first.greeting.payload.toString('latin1')).toContain('greeting 1');
    await until(() => c.hasSpare());
    const second = await c.open();
    expect(second.greeting.payload.toString('latin1')).toContain('greeting 2');
    expect(c.stats).toMatchObject({ opened: 2, fromSpare: 1 });
    // The spare is handed over paused with no listeners of the connector left on it.
    expect(second.socket.listenerCount('data')).toBe(0);
    expect(second.socket.isPaused()).toBe(true);
    first.socket.destroy();
    second.socket.destroy();
  });

  it('does not hand out a spare older than its maximum age, and connects afresh instead', async () => {
    const c = make(5000);
    (await c.open()).socket.destroy();
    await until(() => c.hasSpare());
    nowMs += 5000;
    const next = await c.open();
    expect(next.greeting.payload.toString('latin1')).toContain('greeting 3');
    expect(c.stats).toMatchObject({ opened: 2, fromSpare: 0, sparesExpired: 1 });
    next.socket.destroy();
  });

  it('drops a spare the engine closed or wrote to, so no session inherits a dead connection', async () => {
    const c = make();
    (await c.open()).socket.destroy();
    await until(() => c.hasSpare());
    greeter.sockets.at(-1)!.end(); // e.g. mariadbd restarting or its connect_timeout firing
    await until(() => !c.hasSpare());
    const next = await c.open();
    expect(next.greeting.payload.toString('latin1')).toContain('greeting 3');
    expect(c.stats.fromSpare).toBe(0);
    next.socket.destroy();
  });

  it('does not keep an error greeting (too many connections) as a spare', async () => {
    const c = make();
    greeter.nextPayload = () => Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('#08004Too many connections')]);
    const refused = await c.open();
    expect(refused.greeting.payload[0]).toBe(0xff);
    refused.socket.destroy();
    await until(() => greeter.greetings >= 2);
    await new Promise((r) => setImmediate(r));
    expect(c.hasSpare()).toBe(false);
  });

  it('reports an unreachable engine as EngineUnavailableError with the socket error', async () => {
    await greeter.stop();
    const c = make();
    await expect(c.open()).rejects.toBeInstanceOf(EngineUnavailableError);
    await expect(c.open()).rejects.toThrow(/ENOENT|ECONNREFUSED/);
    expect(c.hasSpare()).toBe(false);
  });

  it('keeps no spare when spares are turned off', async () => {
    const c = make(0);
    (await c.open()).socket.destroy();
    (await c.open()).socket.destroy();
    expect(greeter.greetings).toBe(2);
    expect(c.stats.fromSpare).toBe(0);
    expect(c.hasSpare()).toBe(false);
  });

  it('closes its spare on close()', async () => {
    const c = make();
    (await c.open()).socket.destroy();
    await until(() => c.hasSpare());
    const engineSide = greeter.sockets.at(-1)!;
    const ended = new Promise((r) => engineSide.once('close', r));
    c.close();
    await ended;
    expect(c.hasSpare()).toBe(false);
  });
});
