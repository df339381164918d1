import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileP } from '../../helpers/clients.js';

/** A stock mariadbd on TCP loopback with TLS switched off: the "server that offers no TLS". */
export interface PlainMariadb {
  host: string;
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function ids(user: string): Promise<{ uid: number; gid: number }> {
  const uid = Number((await execFileP('id', ['-u', user])).stdout.trim());
  const gid = Number((await execFileP('id', ['-g', user])).stdout.trim());
  return { uid, gid };
}

/** Starts it (mariadb-install-db + mariadbd --skip-ssl), with account plain@% / Plain-pw-1. */
export async function startPlainMariadb(): Promise<PlainMariadb> {
  const dir = await mkdtemp(join(tmpdir(), 'tlsql-plain-'));
  await chmod(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await ids('mysql') : undefined;
  const data = join(dir, 'data');
  const tmp = join(dir, 'tmp');
  await mkdir(tmp);
  if (owner) {
    await chown(dir, owner.uid, owner.gid);
    await chown(tmp, owner.uid, owner.gid);
  }
  const userArg = asRoot ? ['--user=mysql'] : [];
  await execFileP('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--innodb-log-file-size=8M', ...userArg], { cwd: tmp });
  const init = join(dir, 'init.sql');
  await writeFile(init, "CREATE USER IF NOT EXISTS 'plain'@'%' IDENTIFIED BY 'Plain-pw-1';\nGRANT ALL ON *.* TO 'plain'@'%';\n");
  if (owner) await chown(init, owner.uid, owner.gid);
  const port = await freePort();
  const child: ChildProcess = spawn(
    '/usr/sbin/mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${tmp}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      '--skip-ssl',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=16M',
      '--innodb-log-file-size=8M',
      `--init-file=${init}`,
      ...userArg,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`plain mariadbd exited: ${stderr}`);
    const up = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('data', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`plain mariadbd did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host: '127.0.0.1',
    port,
    user: 'plain',
    password: 'Plain-pw-1',
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
