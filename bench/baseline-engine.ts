/**
 * The like-for-like baseline for the foundation benchmarks: a mariadbd of the same build and the
 * same configuration as a tlsql engine (the instance's own my.cnf), but serving TLS itself on
 * loopback TCP, the way a self-hosted MariaDB without tlsql does. Its certificate chain has the
 * shape of a tlsql instance's: an RSA-2048 leaf (CN and DNS SAN = the host name, serverAuth)
 * issued by an RSA-2048 subordinate (pathLen 0) under an RSA-2048 root, and it presents leaf +
 * subordinate. Clients verify chain and host name against one CA file that holds tlsql's global
 * bundle plus this root, so both paths parse the same trust store, verify the same kind of chain,
 * resolve a `*.localhost` name and use TCP: the only difference left is the front door.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { identifiedByPassword, quoteAccount } from '../src/engine/sql-quote.js';

export interface BaselineEngine {
  host: string;
  port: number;
  /** The root that issued the baseline's chain (PEM). */
  rootPem: string;
  pid: number;
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Root -> subordinate -> leaf for `host`, all RSA 2048 / SHA-256, written into `dir`: root.pem,
 * chain.pem (leaf + subordinate), leaf.key.
 */
export function issueChain(dir: string, host: string): void {
  const ext = join(dir, 'ext.cnf');
  writeFileSync(
    ext,
    [
      '[root]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[sub]',
      'basicConstraints = critical, CA:true, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[leaf]',
      'basicConstraints = critical, CA:false',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = DNS:${host}`,
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '',
    ].join('\n'),
  );
  const rsa = ['-newkey', 'rsa:2048', '-nodes', '-sha256'];
  openssl(['req', '-x509', ...rsa, '-keyout', 'root.key', '-out', 'root.pem', '-days', '30', '-subj', '/O=tlsql bench/CN=baseline root', '-config', ext, '-extensions', 'root'], dir);
  openssl(['req', ...rsa, '-keyout', 'sub.key', '-out', 'sub.csr', '-subj', '/O=tlsql bench/CN=baseline subordinate'], dir);
  openssl(['x509', '-req', '-in', 'sub.csr', '-CA', 'root.pem', '-CAkey', 'root.key', '-CAcreateserial', '-out', 'sub.pem', '-days', '30', '-sha256', '-extfile', ext, '-extensions', 'sub'], dir);
  openssl(['req', ...rsa, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${host}`], dir);
  openssl(['x509', '-req', '-in', 'leaf.csr', '-CA', 'sub.pem', '-CAkey', 'sub.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '30', '-sha256', '-extfile', ext, '-extensions', 'leaf'], dir);
  writeFileSync(join(dir, 'chain.pem'), readFileSync(join(dir, 'leaf.pem'), 'utf8') + readFileSync(join(dir, 'sub.pem'), 'utf8'));
}

/**
 * Starts the baseline mariadbd with `myCnf` (a tlsql instance's configuration), its own fresh
 * datadir, and `user`@'%' identified by `password` (mysql_native_password, like a master user).
 * `clientCaPem` (default none) is added to the CAs mariadbd verifies client certificates against,
 * so a client presenting a certificate from tlsql's client CA is verified here as the front door
 * verifies it.
 */
export async function startBaselineEngine(opts: { myCnf: string; port: number; user: string; password: string; clientCaPem?: string }): Promise<BaselineEngine> {
  const host = 'baseline.tlsql-bench.localhost';
  const dir = mkdtempSync(join(os.tmpdir(), 'tlsql-bench-baseline-'));
  chmodSync(dir, 0o755);
  issueChain(dir, host);
  writeFileSync(join(dir, 'ca.pem'), readFileSync(join(dir, 'root.pem'), 'utf8') + (opts.clientCaPem ?? ''));
  const datadir = join(dir, 'data');
  execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=mysql', '--innodb-log-file-size=8M'], { stdio: 'ignore' });
  // Created as tlsql creates a master user (sql-quote.ts): native password, given by its hash.
  const account = quoteAccount(opts.user, '%');
  writeFileSync(join(dir, 'init.sql'), `CREATE USER IF NOT EXISTS ${account} ${identifiedByPassword(opts.password)};\nGRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;\n`);
  execFileSync('chown', ['-R', 'mysql:mysql', dir]);
  for (const f of ['root.key', 'sub.key', 'leaf.key']) chmodSync(join(dir, f), 0o600);
  const child: ChildProcess = spawn(
    'mariadbd',
    [
      `--defaults-file=${opts.myCnf}`,
      `--datadir=${datadir}`,
      `--socket=${join(dir, 'mysqld.sock')}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${join(dir, 'error.log')}`,
      `--tmpdir=${dir}`,
      `--secure-file-priv=${dir}`,
      '--skip-networking=0',
      '--bind-address=127.0.0.1,::1',
      `--port=${opts.port}`,
      '--proxy-protocol-networks=',
      `--ssl-cert=${join(dir, 'chain.pem')}`,
      `--ssl-key=${join(dir, 'leaf.key')}`,
      `--ssl-ca=${join(dir, 'ca.pem')}`,
      `--init-file=${join(dir, 'init.sql')}`,
      '--user=mysql',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const rootPem = readFileSync(join(dir, 'root.pem'), 'utf8');
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      const c = await mysql.createConnection({ host, port: opts.port, user: opts.user, password: opts.password, ssl: { ca: rootPem, verifyIdentity: true } });
      await c.end();
      break;
    } catch (e) {
      if (i > 300 || child.exitCode !== null) {
        let log = '';
        try {
          log = readFileSync(join(dir, 'error.log'), 'utf8').split('\n').slice(-8).join('\n');
        } catch {
          // no log written
        }
        await stop();
        throw new Error(`baseline mariadbd did not start: ${(e as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { host, port: opts.port, rootPem, pid: child.pid!, stop };
}
