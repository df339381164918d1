import net from 'node:net';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

export const execFileP = promisify(execFile);

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, never throwing on a non-zero exit; `input` goes to stdin. */
export function run(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** The Debian `mariadb` client with chain AND host name verification, as the RDS docs describe. */
export function mariadbCli(o: { host: string; port: number; user: string; password: string; ca?: string; sql: string; extra?: string[] }) {
  const args = ['-h', o.host, '-P', String(o.port), '-u', o.user, `-p${o.password}`, '--batch', '--skip-column-names'];
  if (o.ca) args.push(`--ssl-ca=${o.ca}`, '--ssl-verify-server-cert');
  return run('mariadb', [...args, ...(o.extra ?? []), '-e', o.sql]);
}

/** mysql2 with verified TLS (chain + host name). */
/**
 * mysql2 with verified TLS (chain and host name) by endpoint name. With `address`, the TCP
 * connection goes to that loopback address while TLS still verifies `host`.
 */
export function mysql2Tls(o: { host: string; port: number; user: string; password: string; ca: string; database?: string; tls?: { minVersion?: string; maxVersion?: string }; address?: string }) {
  return mysql.createConnection({
    ...(o.address ? { stream: net.connect({ host: o.address, port: o.port }) } : {}),
    host: o.host,
    port: o.port,
    user: o.user,
    password: o.password,
    database: o.database,
    ssl: { ca: readFileSync(o.ca, 'utf8'), verifyIdentity: true, ...(o.tls ?? {}) } as mysql.SslOptions,
  });
}

export async function statusVar(conn: mysql.Connection, name: string): Promise<string> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW SESSION STATUS LIKE ?', [name]);
  return String(rows[0]?.Value ?? '');
}
