/**
 * Commands that run or prepare the service itself (not API calls): server, init, setup.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, type DBInstance } from '@aws-sdk/client-rds';
import { loadConfig, type Config } from '../../config/config.js';
import { dataPaths } from '../../config/paths.js';
import { isAppError } from '../../errors/app-error.js';
import { createLogger } from '../../lib/logger.js';
import { writePrivateFile } from '../../pki/key-store.js';
import { ApiCallError, CliError, ExitCode } from '../errors.js';
import { defineCommand, type CommandContext, type CommandDef } from '../registry.js';
import { waitForDbInstances, waiters } from '../waiter.js';

const configOptions = [
  { name: 'region', type: 'string', help: 'Region this service acts as (default us-east-1); saved to config.json by init.' },
  { name: 'regions', type: 'string', help: 'Comma-separated extra regions to create CA hierarchies for (bundles cover all).' },
  { name: 'domain', type: 'string', help: 'Endpoint domain (default tlsql.localhost, which resolves to loopback).' },
  { name: 'api-port', type: 'integer', help: 'Port of the RDS-compatible API on loopback (default 9336).' },
] as const;

function configFrom(ctx: CommandContext, a: { region?: string | undefined; regions?: string | undefined; domain?: string | undefined; apiPort?: number | undefined }): Config {
  const overrides: Record<string, unknown> = {};
  if (a.region) overrides.region = a.region;
  if (a.regions) overrides.regions = a.regions.split(',').map((s) => s.trim()).filter(Boolean);
  if (a.domain) overrides.domain = a.domain;
  if (a.apiPort !== undefined) overrides.api = { port: a.apiPort };
  return loadConfig({ dataDir: ctx.globals.dataDir, env: ctx.io.env, overrides });
}

/** Writes the flags given to init/setup into config.json so later runs (and the CLI) agree. */
async function persistConfig(config: Config, a: Record<string, unknown>): Promise<void> {
  const path = dataPaths(config.dataDir).config;
  const current = existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>) : {};
  const next = { ...current };
  if (a.region) next.region = config.region;
  if (a.regions) next.regions = config.regions;
  if (a.domain) next.domain = config.domain;
  if (a.apiPort !== undefined) next.api = { ...(current.api as object), port: config.api.port };
  await writeFile(path, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Creates keys, CA and credentials (idempotent) and saves the flags to config.json, holding the data
 * dir's lock (data-dir-lock.ts): DataDirInUse while a server owns the data dir. Loaded lazily: the
 * PKI is heavy to import.
 */
async function initialiseDataDir(ctx: CommandContext, config: Config, args: Record<string, unknown>): Promise<void> {
  const { initialiseUnderLock } = await import('../../service/service.js');
  await initialiseUnderLock(config, { logger: createLogger({ level: 'warn', write: (l) => ctx.io.stderr.write(l + '\n') }), env: ctx.io.env }, () => persistConfig(config, args));
}

function wrapAppError(e: unknown): never {
  if (isAppError(e)) throw new CliError(`tlsql: ${e.message}`, e.code === 'ConfigInvalid' ? ExitCode.config : ExitCode.failure, { cause: e });
  throw e;
}

export const serverCommand = defineCommand({
  name: 'server',
  summary: 'Runs the tlsql service in the foreground: engines, instance endpoints and the RDS API.',
  description:
    'Starts every DB instance recorded in the data dir exactly as it was, serves their endpoints and the ' +
    'RDS-compatible API (default http://127.0.0.1:9336), and logs JSON lines to stderr. Stops cleanly on ' +
    'SIGINT/SIGTERM (engines shut down, data kept). Creates keys, CA and credentials on first run.',
  options: [...configOptions, { name: 'log-level', type: 'string', choices: ['debug', 'info', 'warn', 'error'], help: 'Minimum log level (default info).' }] as const,
  async run(ctx, args) {
    let config: Config;
    try {
      config = configFrom(ctx, args);
    } catch (e) {
      wrapAppError(e);
    }
    const logger = createLogger({ level: (args.logLevel as 'info' | undefined) ?? config.logLevel, write: (l) => ctx.io.stderr.write(l + '\n') });
    let service;
    try {
      const { startService } = await import('../../service/service.js');
      (await import('../../service/heap.js')).tuneHeapForRelaying();
      service = await startService(config, { logger, env: ctx.io.env });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new CliError(`tlsql: port ${config.api.port} is in use: is another tlsql server running? (check ${dataPaths(config.dataDir).serverState})`, ExitCode.failure);
      }
      wrapAppError(e);
    }
    ctx.io.stderr.write(`tlsql server: API ${service.apiUrl}, data dir ${config.dataDir}\n`);
    await new Promise<void>((resolveStop) => {
      const stop = (sig: string) => {
        logger.info('stopping', { signal: sig });
        service.close().then(resolveStop, resolveStop);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return ExitCode.ok;
  },
});

export const initCommand = defineCommand({
  name: 'init',
  summary: 'Creates the data dir: master key, CA hierarchy (every family x region), bundles, API credentials.',
  options: configOptions,
  async run(ctx, args) {
    try {
      const config = configFrom(ctx, args);
      await initialiseDataDir(ctx, config, args);
      const p = dataPaths(config.dataDir);
      ctx.io.stdout.write(`Initialised ${config.dataDir}\n  CA bundle:   ${join(p.pki, 'bundles', 'global-bundle.pem')}\n  credentials: ${p.credentials} (0600; print with \`tlsql credentials\`)\n`);
    } catch (e) {
      wrapAppError(e);
    }
  },
});

async function serverUp(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** A password within RDS rules that needs no shell quoting. */
function demoPassword(): string {
  return randomBytes(18).toString('base64url').replace(/[-_]/g, 'x');
}

export const setupCommand = defineCommand({
  name: 'setup',
  summary: 'Initialises, starts `tlsql server` in the background, and creates a demo DB instance; prints how to connect.',
  options: [
    ...configOptions,
    { name: 'demo-instance', type: 'string', help: 'Identifier of the demo DB instance (default demo).' },
    { name: 'no-demo', type: 'boolean', help: 'Do not create a demo instance.' },
  ] as const,
  async run(ctx, args) {
    let config: Config;
    try {
      config = configFrom(ctx, args);
    } catch (e) {
      wrapAppError(e);
    }
    try {
      await initialiseDataDir(ctx, config, args);
    } catch (e) {
      if (!(isAppError(e) && e.code === 'DataDirInUse')) wrapAppError(e);
      // A running server initialised the data dir already: use it as it is. The flags are saved
      // all the same (the server reads config.json only when it starts), so this CLI finds its API.
      const pid = typeof e.details.pid === 'number' ? ` (pid ${e.details.pid})` : '';
      ctx.io.stderr.write(`tlsql: a tlsql server${pid} owns ${config.dataDir}: not initialised again\n`);
      await persistConfig(config, args);
    }
    const paths = dataPaths(config.dataDir);
    const cc = await ctx.clientContext({ credentials: false });
    if (!(await serverUp(cc.endpoint))) {
      const bin = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../bin/tlsql');
      const log = openSync(paths.log, 'a', 0o600);
      const child = spawn(process.execPath, [bin, 'server', '--data-dir', config.dataDir], { detached: true, stdio: ['ignore', log, log], env: ctx.io.env });
      child.unref();
      ctx.io.stderr.write(`Starting tlsql server (pid ${child.pid}, log ${paths.log})...\n`);
      const deadline = Date.now() + 60_000;
      while (!(await serverUp(cc.endpoint))) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new CliError(`tlsql: the server did not start; see ${paths.log}`, ExitCode.failure);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    ctx.io.stdout.write(`tlsql server is running: API ${cc.endpoint} (region ${config.region}), log ${paths.log}\n`);
    const bundle = join(config.dataDir, 'global-bundle.pem');
    const res = await fetch(`${cc.endpoint}/bundles/global-bundle.pem`);
    await writeFile(bundle, await res.text(), { mode: 0o644 });
    if (args.noDemo) return;

    const id = (args.demoInstance ?? 'demo').toLowerCase();
    const pwFile = join(config.dataDir, `${id}.master-password`);
    let inst: DBInstance | undefined;
    try {
      inst = (await ctx.send<{ DBInstances?: DBInstance[] }>('DescribeDBInstances', new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
    } catch (e) {
      if (!(e instanceof ApiCallError && e.code === 'DBInstanceNotFound')) throw e;
    }
    let passwordNote = `password saved in ${pwFile}`;
    if (!inst) {
      const password = demoPassword();
      await writePrivateFile(pwFile, password + '\n');
      await ctx.send('CreateDBInstance', new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: password, DBInstanceClass: 'db.t3.micro' }));
      passwordNote = `password ${password}, saved in ${pwFile} (mode 0600)`;
    }
    inst = (await waitForDbInstances(ctx, waiters.available, { DBInstanceIdentifier: id }, { timeoutMs: 120_000, maxDelayMs: 250 }))[0]!;
    const host = inst.Endpoint!.Address!;
    const port = inst.Endpoint!.Port!;
    ctx.io.stdout.write(
      [
        ``,
        `DB instance ${id} is available.`,
        `  endpoint:    ${host}`,
        `  port:        ${port}`,
        `  master user: ${inst.MasterUsername}; ${passwordNote}`,
        `  CA bundle:   ${bundle}`,
        ``,
        `Connect with full verification (CA chain and host name):`,
        `  mariadb -h ${host} -P ${port} --ssl-ca=${bundle} --ssl-verify-server-cert -u ${inst.MasterUsername} -p`,
        ``,
      ].join('\n'),
    );
  },
});

export const serviceCommands: readonly CommandDef[] = [serverCommand as unknown as CommandDef, initCommand as unknown as CommandDef, setupCommand as unknown as CommandDef];
