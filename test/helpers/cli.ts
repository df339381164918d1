import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { run, type RunResult } from './clients.js';

export const TLSQL_BIN = resolve(import.meta.dirname, '../../bin/tlsql');

/** Runs the real `tlsql` executable against a data dir. */
export function tlsql(dataDir: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run(process.execPath, [TLSQL_BIN, '--data-dir', dataDir, ...args], {
    input: opts.input,
    timeoutMs: 120_000,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...opts.env },
  });
}

export interface ServerProcess {
  dataDir: string;
  apiPort: number;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `tlsql server` as a child process on a temp data dir and waits for /health. */
export async function startServerProcess(opts: { apiPort: number; firstPort: number }): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tlsql-cli-'));
  await writeFile(join(dataDir, 'config.json'), JSON.stringify({ api: { port: opts.apiPort }, firstPort: opts.firstPort, lastPort: opts.firstPort + 19 }));
  const child = spawn(process.execPath, [TLSQL_BIN, '--data-dir', dataDir, 'server'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tlsql server exited: ${err}`);
    const ok = await fetch(`http://127.0.0.1:${opts.apiPort}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`tlsql server did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    dataDir,
    apiPort: opts.apiPort,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
