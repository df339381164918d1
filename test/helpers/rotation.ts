import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { run } from './clients.js';

/** What `openssl s_client -starttls mysql` saw, verifying chain and host name against a bundle. */
export interface SClientResult {
  verifyOk: boolean;
  verifyLine: string;
  /** e.g. `rsa2048`, `rsa4096`, `ecdsa-p384`, from the leaf's public key as s_client prints it. */
  keyType: string;
  /** Lower-case hex serial of the leaf. */
  serialHex: string;
  issuerCn: string;
  output: string;
}

/**
 * `openssl s_client -starttls mysql -connect 127.0.0.1:<port> -servername <endpoint>
 * -verify_hostname <endpoint> -CAfile <bundle>`, then the leaf through `openssl x509`.
 */
export async function sClient(o: { endpoint: string; port: number; bundlePath: string; address?: string }): Promise<SClientResult> {
  const r = await run('openssl', [
    's_client',
    '-starttls',
    'mysql',
    '-connect',
    `${o.address ?? '127.0.0.1'}:${o.port}`,
    '-servername',
    o.endpoint,
    '-verify_hostname',
    o.endpoint,
    '-CAfile',
    o.bundlePath,
    '-verify_return_error',
  ], { input: '' });
  const output = r.stdout + r.stderr;
  const verifyLine = /Verify return code: .*/.exec(output)?.[0] ?? '(no verify line)';
  const leafPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/.exec(r.stdout)?.[0] ?? '';
  const x = leafPem ? await run('openssl', ['x509', '-noout', '-serial', '-issuer', '-text'], { input: leafPem }) : { stdout: '' };
  const bits = /Public-Key: \((\d+) bit\)/.exec(x.stdout)?.[1];
  const algo = /Public Key Algorithm: (\S+)/.exec(x.stdout)?.[1];
  const keyType = algo === 'rsaEncryption' ? `rsa${bits}` : algo === 'id-ecPublicKey' ? `ecdsa-p${bits}` : `unknown(${algo}/${bits})`;
  return {
    verifyOk: verifyLine === 'Verify return code: 0 (ok)',
    verifyLine,
    keyType,
    serialHex: (/serial=([0-9A-F]+)/.exec(x.stdout)?.[1] ?? '').toLowerCase(),
    issuerCn: /issuer=.*CN\s*=\s*([^\n,]+)/.exec(x.stdout)?.[1]?.trim() ?? '',
    output,
  };
}

export interface LoadReport {
  /** Queries that failed, with the reason. */
  failures: string[];
  queries: number;
  /** New connections opened and used by the churn loops (each verified TLS). */
  newConnections: number;
  /** Connections the pool opened; more than its size means it replaced a dropped one. */
  poolConnectionsOpened: number;
  /** Connections that emitted an error or closed while in use. */
  dropped: number;
  /** Per pool connection: the thread id seen first and whether it ever changed. */
  threadIdsStable: boolean;
}

/**
 * A pool of mysql2 clients with verified TLS (`ssl: { ca, verifyIdentity: true }`) querying
 * continuously, plus loops that keep opening new verified connections (one of them TLS 1.2, so the
 * engine link's TLS 1.2 suite mapping is exercised through a key-type change). `stop()` ends
 * everything and reports.
 */
export async function startLoad(o: { host: string; port: number; user: string; password: string; bundlePath: string; poolSize?: number; workers?: number }): Promise<{ stop(): Promise<LoadReport>; queries(): number }> {
  const ca = readFileSync(o.bundlePath, 'utf8');
  const poolSize = o.poolSize ?? 6;
  const failures: string[] = [];
  let queries = 0;
  let newConnections = 0;
  let poolConnectionsOpened = 0;
  let dropped = 0;
  let running = true;
  const threadOf = new Map<number, number>();
  let threadIdsStable = true;

  const pool = mysql.createPool({ host: o.host, port: o.port, user: o.user, password: o.password, ssl: { ca, verifyIdentity: true }, connectionLimit: poolSize, maxIdle: poolSize, idleTimeout: 3_600_000 });
  pool.pool.on('connection', (c) => {
    poolConnectionsOpened++;
    c.on('error', (e: Error) => {
      dropped++;
      failures.push(`pool connection error: ${e.message}`);
    });
  });
  // Open every pool connection before the load starts.
  try {
    const held = await Promise.all(Array.from({ length: poolSize }, () => pool.getConnection()));
    held.forEach((c) => c.release());
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }

  const worker = async (n: number) => {
    while (running) {
      try {
        const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT 1 + 1 AS two');
        if (rows[0]?.two !== 2) failures.push(`worker ${n}: wrong result`);
        queries++;
      } catch (e) {
        failures.push(`worker ${n}: ${(e as Error).message}`);
      }
    }
  };
  const churn = async (tls12: boolean) => {
    while (running) {
      let c: mysql.Connection | undefined;
      try {
        c = await mysql.createConnection({ host: o.host, port: o.port, user: o.user, password: o.password, ssl: { ca, verifyIdentity: true, ...(tls12 ? { maxVersion: 'TLSv1.2' } : {}) } as mysql.SslOptions });
        const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
        if (!String(rows[0]?.Value).startsWith('TLS')) failures.push('churn: not TLS');
        newConnections++;
        queries++;
      } catch (e) {
        failures.push(`new connection${tls12 ? ' (TLS 1.2)' : ''}: ${(e as Error).message}`);
      } finally {
        await c?.end().catch(() => undefined);
      }
    }
  };
  // Thread ids: a pool connection that silently reconnected would show a new CONNECTION_ID().
  const sampler = async () => {
    while (running) {
      const conns = await Promise.all(Array.from({ length: poolSize }, () => pool.getConnection()));
      for (const c of conns) {
        const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT CONNECTION_ID() AS id');
        const native = (c as unknown as { connection: { threadId: number } }).connection.threadId;
        const id = Number(rows[0]?.id);
        if (threadOf.has(native) && threadOf.get(native) !== id) threadIdsStable = false;
        threadOf.set(native, id);
        queries++;
      }
      conns.forEach((c) => c.release());
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const loops = [...Array.from({ length: o.workers ?? 8 }, (_, i) => worker(i)), churn(false), churn(true), sampler().catch((e: Error) => void failures.push(`sampler: ${e.message}`))];
  return {
    queries: () => queries,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.end();
      return { failures, queries, newConnections, poolConnectionsOpened, dropped, threadIdsStable: threadIdsStable && threadOf.size === poolSize };
    },
  };
}
