import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DATA_DIR_LOCK_FILE, lockDataDir } from '../../../src/service/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-lock-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the data dir lock', () => {
  it('refuses a second owner naming the holder pid, and is free again once released', async () => {
    const lock = await lockDataDir(dir, new Date('2026-06-01T00:00:00Z'));
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'DataDirInUse', message: expect.stringContaining(`in use by tlsql server pid ${process.pid} (running since 2026-06-01T00:00:00.000Z)`) });
    expect((await stat(join(dir, DATA_DIR_LOCK_FILE))).mode & 0o777).toBe(0o600);
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('names what holds it when that is not a server', async () => {
    const lock = await lockDataDir(dir, new Date('2026-06-01T00:00:00Z'), 'tlsql init');
    try {
      await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'DataDirInUse', details: { pid: process.pid, dataDir: dir }, message: expect.stringContaining(`in use by tlsql init pid ${process.pid}`) });
    } finally {
      await lock.release();
    }
  });

  it('is not kept from the owner by another local process binding the abstract socket name it once used', async () => {
    const st = await stat(dir, { bigint: true });
    const squatter = net.createServer((s) => s.end('not tlsql\n'));
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen({ path: `\0tlsql-data-dir/${st.dev}/${st.ino}`, exclusive: true }, resolve);
    });
    try {
      const lock = await lockDataDir(dir);
      await lock.release();
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('is never held by the processes the holder spawns', async () => {
    const lock = await lockDataDir(dir);
    // A child of the holder (as mariadbd is) inherits no descriptor of the lock file.
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await lock.release();
      // The lock is free although the child the holder spawned while holding it still runs.
      const again = await lockDataDir(dir);
      await again.release();
      expect(child.exitCode).toBeNull();
      expect(JSON.parse(await readFile(join(dir, DATA_DIR_LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, dataDir: dir });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
