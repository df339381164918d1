import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDSClient, waitUntilDBInstanceAvailable } from '@aws-sdk/client-rds';
import { parseConfig, type Config } from '../../src/config/config.js';
import { readCredentials } from '../../src/config/credentials.js';
import { dataPaths } from '../../src/config/paths.js';
import type { Clock } from '../../src/lib/clock.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';
import { startService, type Service } from '../../src/service/service.js';

export interface TestService {
  service: Service;
  config: Config;
  dataDir: string;
  rds: RDSClient;
  /** Path of the published global bundle (roots only). */
  bundlePath: string;
  logs: string[];
  close(): Promise<void>;
}

let portBlock = 0;

/**
 * A real tlsql service on a temp data dir: real CA, real mariadbd engines, real front doors,
 * the real API on an ephemeral port. Each call gets its own block of endpoint ports.
 */
export async function startTestService(
  overrides: Record<string, unknown> = {},
  opts: { clock?: Clock; schedulerIntervalMs?: number } = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tlsql-test-'));
  const base = 21000 + ((process.pid % 40) * 200) + (portBlock++ % 10) * 20;
  const config = parseConfig({ dataDir, firstPort: base, lastPort: base + 19, api: { port: 0 }, ...overrides });
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', write: (l) => logs.push(l) });
  const service = await startService(config, { logger, clock: opts.clock, schedulerIntervalMs: opts.schedulerIntervalMs });
  const creds = await readCredentials(dataPaths(dataDir).credentials);
  // With an injected clock the service's time differs from this process's: start from that skew, and
  // allow the SDK's clock-skew retry (it re-reads the server's Date header) once the clock moves.
  const skew = opts.clock ? { systemClockOffset: opts.clock.now().getTime() - Date.now(), maxAttempts: 3 } : { maxAttempts: 1 };
  const rds = new RDSClient({ endpoint: service.apiUrl, region: config.region, credentials: creds, ...skew });
  const bundlePath = join(dataDir, 'global-bundle.pem');
  await writeFile(bundlePath, service.ca.bundlePem());
  const t: TestService = {
    service,
    config,
    dataDir,
    rds,
    bundlePath,
    logs,
    async close() {
      // Tests may replace `service`/`rds` (e.g. to restart the server): close what is current.
      t.rds.destroy();
      await t.service.close();
      if (!process.env.TLSQL_KEEP_TEST_DIRS) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/**
 * Runs SQL on an instance's engine as tlsql's internal admin account, for what the master user may
 * not do (SET GLOBAL, as on RDS: the master user has no SUPER; parameter groups are the way).
 */
export async function engineAdminQuery(t: TestService, instanceId: string, sql: string, values?: unknown[]): Promise<unknown> {
  const engine = (t.service.control.runtime as unknown as { deps: { engine: { admin<T>(id: string, fn: (c: import('mysql2/promise').Connection) => Promise<T>): Promise<T> } } }).deps.engine;
  return engine.admin(instanceId, async (c) => (await c.query(sql, values))[0]);
}

/** Creates an instance through the real API and waits for `available`. */
export async function createInstance(t: TestService, id: string, extra: Record<string, unknown> = {}) {
  const { CreateDBInstanceCommand, DescribeDBInstancesCommand } = await import('@aws-sdk/client-rds');
  await t.rds.send(
    new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: 'Sup3r-secret!', DBInstanceClass: 'db.t3.micro', ...extra }),
  );
  await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: id });
  const out = await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
  const inst = out.DBInstances![0]!;
  return { instance: inst, host: inst.Endpoint!.Address!, port: inst.Endpoint!.Port!, user: 'admin', password: 'Sup3r-secret!' };
}

/** What an SDK call that must fail threw: the fault's name, message and HTTP status. */
export async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

/** The environment for the AWS CLI or boto3 against `t`: its API credentials, no user config. */
export async function awsCliEnv(t: TestService): Promise<NodeJS.ProcessEnv> {
  const creds = await readCredentials(dataPaths(t.dataDir).credentials);
  return { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
}
