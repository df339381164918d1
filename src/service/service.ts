import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile, rm } from 'node:fs/promises';
import { createApiServer } from '../api/server.js';
import type { CredentialStore } from '../api/credentials.js';
import type { Config } from '../config/config.js';
import { dataPaths } from '../config/paths.js';
import { TlsqlControlPlane } from '../control/control-plane.js';
import { LocalMariadbEngine } from '../engine/local-mariadb.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { CertificateAuthority } from '../pki/certificate-authority.js';
import { openSecret } from '../pki/key-store.js';
import { Store } from '../store/store.js';
import { ensureApiCredentials, ensureDataDir, ensureIdentity, ensureMasterKey } from './init.js';

export interface Service {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  control: TlsqlControlPlane;
  api: Server;
  apiUrl: string;
  close(): Promise<void>;
}

/** Access keys from the metadata store; secrets are unsealed only to verify a signature. */
export function storeCredentials(store: Store, masterKey: Buffer): CredentialStore {
  return {
    async lookup(accessKeyId: string) {
      const k = store.getAccessKey(accessKeyId);
      if (!k) return null;
      return {
        secretAccessKey: openSecret(masterKey, `access-keys/${k.accessKeyId}`, k.secretSealed).toString('utf8'),
        active: k.active,
        principal: k.principal,
      };
    },
  };
}

/**
 * Creates the data dir's keys, CA hierarchy and credentials when missing (idempotent).
 * Returns the open store and CA for callers that go on to serve.
 */
export async function initialise(config: Config, opts: { logger: Logger; clock?: Clock; env?: NodeJS.ProcessEnv }) {
  const clock = opts.clock ?? systemClock;
  await ensureDataDir(config.dataDir);
  const paths = dataPaths(config.dataDir);
  const masterKey = await ensureMasterKey(config.dataDir, opts.env);
  const store = new Store(paths.metadataDb);
  try {
    const identity = ensureIdentity(store);
    const ca = new CertificateAuthority({ dir: paths.pki, masterKey, regions: [...config.regions], clock, logger: opts.logger });
    await ca.ensureHierarchy();
    await ensureApiCredentials(config, store, masterKey, clock.now());
    return { store, ca, masterKey, identity, clock };
  } catch (e) {
    store.close();
    throw e;
  }
}

/** Starts everything `tlsql server` runs: engines, endpoints, the API. */
export async function startService(config: Config, opts: { logger: Logger; clock?: Clock; env?: NodeJS.ProcessEnv }): Promise<Service> {
  const logger = opts.logger;
  const { store, ca, masterKey, identity, clock } = await initialise(config, opts);
  const paths = dataPaths(config.dataDir);
  const detected = await LocalMariadbEngine.detect();
  const engine = new LocalMariadbEngine({ dataDir: config.dataDir, masterKey, version: detected.version, mariadbd: detected.mariadbd, installDb: detected.installDb, clock, logger: logger.child({ component: 'engine' }) });
  const control = new TlsqlControlPlane({ config, store, ca, engine, masterKey, clock, logger, accountId: identity.accountId, endpointSuffix: identity.endpointSuffix });
  await control.reconcile();
  const api = createApiServer({
    control,
    credentials: storeCredentials(store, masterKey),
    region: config.region,
    logger: logger.child({ component: 'api' }),
    clock,
    maxBodyBytes: config.api.maxBodyBytes,
    bundles: {
      pem: (file: string) => {
        if (file === 'global-bundle.pem') return ca.bundlePem();
        const m = /^([a-z0-9-]+)-bundle\.pem$/.exec(file);
        return m && config.regions.includes(m[1]!) ? ca.bundlePem(m[1]) : null;
      },
    },
  });
  await new Promise<void>((resolve, reject) => {
    api.once('error', reject);
    api.listen(config.api.port, config.api.host, () => {
      api.off('error', reject);
      resolve();
    });
  });
  const port = (api.address() as AddressInfo).port;
  const host = config.api.host.includes(':') ? `[${config.api.host}]` : config.api.host;
  const apiUrl = `http://${host}:${port}`;
  await writeFile(paths.serverState, JSON.stringify({ pid: process.pid, apiUrl, startedAt: clock.now().toISOString() }) + '\n');
  logger.info('tlsql server ready', { apiUrl, dataDir: config.dataDir, instances: store.listInstances().length });

  let closing: Promise<void> | null = null;
  return {
    config,
    store,
    ca,
    control,
    api,
    apiUrl,
    close: () =>
      (closing ??= (async () => {
        api.closeAllConnections?.();
        await new Promise<void>((r) => api.close(() => r()));
        await control.shutdown();
        store.close();
        await rm(paths.serverState, { force: true });
      })()),
  };
}
