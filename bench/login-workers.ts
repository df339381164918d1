/**
 * Concurrent login clients for the IAM benchmark, spread over worker threads: mysql2 costs about
 * as much CPU per verified TLS login as the front door does, so clients sharing one event loop cap
 * the rate at what one core can do for them, whatever the server does. Independent applications
 * are independent processes; here they are threads of this process (one CPU account for "client").
 *
 * One file for both sides: imported from the main thread it exports `LoginWorkers`; run as a
 * worker it logs in when asked.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import mysql from 'mysql2/promise';

export type LoginKind = 'password' | 'iam' | 'passwordResumed' | 'iamResumed';

export interface LoginTarget {
  host: string;
  port: number;
  ca: string;
  password: string;
  token: string;
}

interface Job {
  id: number;
  kind: LoginKind;
  n: number;
  clients: number;
}

/** `n` logins (connect + verified TLS + authentication + COM_QUIT) by `clients` concurrent clients. */
export async function runLogins(connect: () => Promise<mysql.Connection>, n: number, clients: number): Promise<void> {
  let left = n;
  const worker = async () => {
    while (left-- > 0) {
      const c = await connect();
      await c.end();
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
}

/**
 * Connection factories per login kind. A new ssl options object per connection means a full TLS
 * handshake every time; with one shared object mysql2 keeps the session the front door gave it and
 * resumes it (as pools that reuse their TLS options do, and JDBC by default).
 */
export function connectors(t: LoginTarget): Record<LoginKind, () => Promise<mysql.Connection>> {
  const ssl = () => ({ ca: t.ca, verifyIdentity: true });
  const sharedPw = ssl();
  const sharedIam = ssl();
  const base = { host: t.host, port: t.port };
  return {
    password: () => mysql.createConnection({ ...base, user: 'app_pw', password: t.password, ssl: ssl() }),
    iam: () => mysql.createConnection({ ...base, user: 'app_iam', password: t.token, enableCleartextPlugin: true, ssl: ssl() }),
    passwordResumed: () => mysql.createConnection({ ...base, user: 'app_pw', password: t.password, ssl: sharedPw }),
    iamResumed: () => mysql.createConnection({ ...base, user: 'app_iam', password: t.token, enableCleartextPlugin: true, ssl: sharedIam }),
  };
}

export class LoginWorkers {
  private readonly workers: Worker[];
  private nextId = 0;

  constructor(target: LoginTarget, threads: number) {
    this.workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url), { workerData: target }));
  }

  /** Logins per second: `n` logins by `clients` clients spread evenly over the threads. */
  async rate(kind: LoginKind, n: number, clients: number): Promise<number> {
    const k = this.workers.length;
    const t0 = performance.now();
    await Promise.all(
      this.workers.map((w, i) => {
        const job: Job = { id: this.nextId++, kind, n: Math.floor(n / k) + (i < n % k ? 1 : 0), clients: Math.floor(clients / k) + (i < clients % k ? 1 : 0) };
        return new Promise<void>((resolve, reject) => {
          const onMessage = (m: { id: number; error?: string }) => {
            if (m.id !== job.id) return;
            w.off('message', onMessage);
            if (m.error) reject(new Error(m.error));
            else resolve();
          };
          w.on('message', onMessage);
          w.postMessage(job);
        });
      }),
    );
    return (n / (performance.now() - t0)) * 1000;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

if (!isMainThread) {
  const connect = connectors(workerData as LoginTarget);
  parentPort!.on('message', (job: Job) => {
    runLogins(connect[job.kind], job.n, Math.max(1, job.clients)).then(
      () => parentPort!.postMessage({ id: job.id }),
      (e: Error) => parentPort!.postMessage({ id: job.id, error: e.message }),
    );
  });
}
