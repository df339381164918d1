import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/**
 * Default bounds on unauthenticated front-door sessions (dataplane/pre-auth-limits.ts, which uses
 * them when an endpoint is given none).
 */
export const DEFAULT_PRE_AUTH_LIMITS = Object.freeze({ maxSessions: 256, maxSessionsPerAddress: 32, maxIdle: 32, maxIdlePerAddress: 8, idleGraceMs: 1000 });

/** Default interval of the front door's refusal log summaries (dataplane/refusal-log.ts). */
export const DEFAULT_REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Default port of the RDS-compatible API (HTTP, loopback). */
export const DEFAULT_API_PORT = 9336;

const region = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must look like us-east-1');

/**
 * The one configuration schema. Every key has a default; unknown keys are rejected; all problems
 * are reported at once. Load order: defaults < <dataDir>/config.json < TLSQL_* env < flags.
 */
export const configSchema = z
  .object({
    /** Where everything lives: metadata DB, pki/, instances/, templates/. */
    dataDir: z.string().min(1),
    /** The region this service acts as; instances and the API live here. Default us-east-1. */
    region: region.default('us-east-1'),
    /** Regions to create CA hierarchies for (bundles cover them all). Always includes `region`. */
    regions: z.array(region).default([]),
    /** Endpoint domain: `<id>.<12 chars>.<region>.<domain>`. Default resolves to loopback via libnss-myhostname. */
    domain: z
      .string()
      .regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'must be a lower-case DNS name')
      .default('tlsql.localhost'),
    /** Addresses every instance endpoint listens on. Default loopback v4 and v6 (what `*.localhost` resolves to). */
    listenAddresses: z.array(z.string().min(1)).min(1).default(['127.0.0.1', '::1']),
    /** First port handed out; the first instance gets it when free. Default 3306. */
    firstPort: z.number().int().min(1).max(65535).default(3306),
    /** Last port handed out automatically. Default 3405 (100 instances). */
    lastPort: z.number().int().min(1).max(65535).default(3405),
    api: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
        /** Requests larger than this are refused with 413 before being read whole. Default 1 MiB. */
        maxBodyBytes: z.number().int().min(1024).default(1024 * 1024),
        /**
         * The API's URL as clients reach it, e.g. `http://db-api.example.com:8080`: client
         * certificates name `<publicUrl>/crl/<region>-client-ca-g1.crl` as their CRL distribution
         * point. Default: unset, the address the API listens on (`http://<host>:<port>`).
         */
        publicUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** A request's headers must arrive within this; else 408 and the connection closes. Default 10 s. */
        headersTimeoutMs: z.number().int().min(100).default(10_000),
        /** A request's body must arrive within this once the headers are in; else RequestTimeout (408). Default 10 s. */
        bodyTimeoutMs: z.number().int().min(100).default(10_000),
        /**
         * Request bodies read at once (only for requests naming a known, active access key); more
         * get Throttling, which the SDKs retry with backoff. Default 32.
         */
        maxConcurrentBodies: z.number().int().min(1).max(10_000).default(32),
      })
      .strict()
      .default({ host: '127.0.0.1', port: DEFAULT_API_PORT, maxBodyBytes: 1024 * 1024, headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000, maxConcurrentBodies: 32 }),
    frontDoor: z
      .object({
        /** Whole connection phase (greeting to auth OK) must finish within this. Default 10 s. */
        handshakeTimeoutMs: z.number().int().min(100).default(10_000),
        /** Connecting to the engine socket and reading its greeting. Default 5 s. */
        engineConnectTimeoutMs: z.number().int().min(100).default(5_000),
        /** Largest packet accepted before authentication. Default 64 KiB. */
        maxHandshakePacketBytes: z.number().int().min(1024).default(64 * 1024),
        /**
         * Threads of the native data plane (dataplane/native/native-dataplane.ts), which own every
         * session's sockets, both TLS sides and the relay. Default 0: one per CPU.
         */
        dataplaneThreads: z.number().int().min(0).max(256).default(0),
        /**
         * After relayed traffic, each data-plane thread keeps polling its sockets this long before
         * sleeping, so the engine's answer and the client's next command skip a wake-up. Costs CPU
         * while traffic flows, none when idle. Default 0 (off); at most 1000 µs.
         */
        busyPollMicros: z.number().int().min(0).max(1000).default(0),
        /**
         * Unauthenticated sessions (connecting, greeted, in TLS or the login) per endpoint; each holds
         * an engine connection. A connection beyond is refused with 1040 at accept. Default 256.
         */
        maxPreAuthSessions: z.number().int().min(1).default(DEFAULT_PRE_AUTH_LIMITS.maxSessions),
        /** The same, per client address. Default 32. */
        maxPreAuthSessionsPerAddress: z.number().int().min(1).default(DEFAULT_PRE_AUTH_LIMITS.maxSessionsPerAddress),
        /**
         * Idle sessions (greeted, nothing received from the client) per endpoint once their grace has
         * passed; the oldest beyond are evicted with 1040 (dataplane/pre-auth-limits.ts). Default 32.
         */
        maxIdlePreAuthSessions: z.number().int().min(0).default(DEFAULT_PRE_AUTH_LIMITS.maxIdle),
        /** The same, per client address. Default 8. */
        maxIdlePreAuthSessionsPerAddress: z.number().int().min(0).default(DEFAULT_PRE_AUTH_LIMITS.maxIdlePerAddress),
        /** How long after its greeting an idle session is safe from eviction. Default 1 s. */
        idlePreAuthGraceMs: z.number().int().min(0).max(60_000).default(DEFAULT_PRE_AUTH_LIMITS.idleGraceMs),
        /**
         * Refused connections are logged once per client address and reason per interval, then one
         * summary line with the count (dataplane/refusal-log.ts). Default 60 s.
         */
        refusalLogIntervalMs: z.number().int().min(1000).max(3_600_000).default(DEFAULT_REFUSAL_LOG_INTERVAL_MS),
      })
      .strict()
      .default({
        handshakeTimeoutMs: 10_000,
        engineConnectTimeoutMs: 5_000,
        maxHandshakePacketBytes: 64 * 1024,
        dataplaneThreads: 0,
        busyPollMicros: 0,
        maxPreAuthSessions: DEFAULT_PRE_AUTH_LIMITS.maxSessions,
        maxPreAuthSessionsPerAddress: DEFAULT_PRE_AUTH_LIMITS.maxSessionsPerAddress,
        maxIdlePreAuthSessions: DEFAULT_PRE_AUTH_LIMITS.maxIdle,
        maxIdlePreAuthSessionsPerAddress: DEFAULT_PRE_AUTH_LIMITS.maxIdlePerAddress,
        idlePreAuthGraceMs: DEFAULT_PRE_AUTH_LIMITS.idleGraceMs,
        refusalLogIntervalMs: DEFAULT_REFUSAL_LOG_INTERVAL_MS,
      }),
    iam: z
      .object({
        /**
         * IAM database authentication tokens dated up to this far in the future (a client clock
         * ahead of ours) are accepted. Expiry itself is never extended. Default 60 s.
         */
        tokenClockSkewMs: z.number().int().min(0).max(300_000).default(60_000),
      })
      .strict()
      .default({ tokenClockSkewMs: 60_000 }),
    recovery: z
      .object({
        /**
         * An instance whose engine or endpoint cannot be brought up (its port taken by another
         * program, an engine that does not start) is retried by itself: first after this delay,
         * doubling per failure. Default 5 s.
         */
        retryBaseMs: z.number().int().min(10).default(5_000),
        /** Longest pause between those retries. Default 5 min. */
        retryMaxMs: z.number().int().min(10).default(300_000),
      })
      .strict()
      .default({ retryBaseMs: 5_000, retryMaxMs: 300_000 }),
    replication: z
      .object({
        /**
         * How often read replicas' health (StatusInfos, ReplicaLag, events) and Multi-AZ primaries
         * are looked at (docs/replication.md). Default 2 s.
         */
        monitorIntervalMs: z.number().int().min(100).default(2_000),
      })
      .strict()
      .default({ monitorIntervalMs: 2_000 }),
    multiAz: z
      .object({
        /**
         * How long a Multi-AZ primary waits for its standby to acknowledge a commit before it goes on
         * asynchronously (rpl_semi_sync_master_timeout); the instance then says so (StatusInfos,
         * an event). Default 10 s.
         */
        semiSyncTimeoutMs: z.number().int().min(100).default(10_000),
        /** A Multi-AZ primary that does not answer `SELECT 1` within this is counted as not answering. Default 2 s. */
        healthCheckTimeoutMs: z.number().int().min(100).default(2_000),
        /** Consecutive unanswered checks (one per replication.monitorIntervalMs) before a failover. Default 3. */
        unansweredChecksBeforeFailover: z.number().int().min(1).default(3),
      })
      .strict()
      .default({ semiSyncTimeoutMs: 10_000, healthCheckTimeoutMs: 2_000, unansweredChecksBeforeFailover: 3 }),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();

export type Config = Readonly<z.infer<typeof configSchema>>;

/** Default data dir: /var/lib/tlsql as root, else ~/.local/share/tlsql; TLSQL_DATA_DIR overrides. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TLSQL_DATA_DIR) return env.TLSQL_DATA_DIR;
  return process.getuid?.() === 0 ? '/var/lib/tlsql' : join(homedir(), '.local', 'share', 'tlsql');
}

/** Config keys that can come from the environment, and how to parse them. */
const envKeys: Record<string, (v: string, c: Record<string, unknown>) => void> = {
  TLSQL_REGION: (v, c) => (c.region = v),
  TLSQL_REGIONS: (v, c) => (c.regions = v.split(',').map((s) => s.trim()).filter(Boolean)),
  TLSQL_DOMAIN: (v, c) => (c.domain = v),
  TLSQL_LOG_LEVEL: (v, c) => (c.logLevel = v),
  TLSQL_API_PORT: (v, c) => (c.api = { ...(c.api as object), port: Number(v) }),
  TLSQL_API_HOST: (v, c) => (c.api = { ...(c.api as object), host: v }),
  TLSQL_FIRST_PORT: (v, c) => (c.firstPort = Number(v)),
  TLSQL_LAST_PORT: (v, c) => (c.lastPort = Number(v)),
};

/**
 * Loads and validates the configuration. `overrides` are command-line flags (highest precedence).
 * Throws AppError ConfigInvalid listing every problem.
 */
export function loadConfig(opts: { dataDir?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = opts.env ?? process.env;
  const dataDir = opts.dataDir ?? defaultDataDir(env);
  let file: Record<string, unknown> = {};
  try {
    file = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new AppError('ConfigInvalid', `cannot read ${join(dataDir, 'config.json')}: ${(e as Error).message}`);
    }
  }
  const merged: Record<string, unknown> = { ...file };
  for (const [k, apply] of Object.entries(envKeys)) {
    const v = env[k];
    if (v !== undefined && v !== '') apply(v, merged);
  }
  Object.assign(merged, opts.overrides ?? {}, { dataDir });
  return parseConfig(merged);
}

export function parseConfig(raw: unknown): Config {
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new AppError('ConfigInvalid', `invalid configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  const c = r.data;
  if (!c.regions.includes(c.region)) c.regions = [c.region, ...c.regions];
  if (c.lastPort < c.firstPort) throw new AppError('ConfigInvalid', 'invalid configuration: lastPort must be >= firstPort');
  return deepFreeze(c);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
