import { availableParallelism } from 'node:os';
import type { Server } from 'node:http';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { writeFile, rm } from 'node:fs/promises';
import { createApiServer } from '../api/server.js';
import { ConsoleAssets, defaultAssetsDir } from '../console/console-assets.js';
import { consoleActions } from '../console/console-actions.js';
import { ConsoleAuth } from '../console/console-auth.js';
import { createConsoleServer } from '../console/console-server.js';
import { MetricsHistory } from '../console/metrics-history.js';
import type { CredentialStore } from '../api/credentials.js';
import type { Config } from '../config/config.js';
import { dataPaths } from '../config/paths.js';
import { TlsqlControlPlane } from '../control/tlsql-control-plane.js';
import { loadNativeBinding } from '../dataplane/native/native-binding.js';
import { renderMetrics, type ExpiringCertificate } from '../dataplane/metrics.js';
import { LocalMariadbEngine } from '../engine/local-mariadb.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { CertificateAuthority } from '../pki/certificate-authority.js';
import { isIamUserPrincipal } from '../iam/iam-directory.js';
import { openSecret } from '../pki/key-store.js';
import { resolveBundleFile } from '../pki/bundle-formats.js';
import { KeyPool, leafKeyKinds } from '../pki/key-pool.js';
import { linkCertificateExpiry, renderCertificateMetrics, type CertificateMetricsSource } from '../reconcile/certificate-metrics.js';
import { CertificateScheduler } from '../reconcile/scheduler.js';
import { Store } from '../store/store.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { ensureApiCredentials, ensureDataDir, ensureIdentity, ensureMasterKey } from './init.js';

export interface Service {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  control: TlsqlControlPlane;
  /** Certificate renewal and maintenance-window passes; `tick()` runs one now. */
  scheduler: CertificateScheduler;
  keyPool: KeyPool;
  api: Server;
  apiUrl: string;
  /** The web console's logins and sessions, and the traffic samples its charts show (docs/console.md). */
  console: { auth: ConsoleAuth; history: MetricsHistory };
  close(): Promise<void>;
}

/** Expiry of the service-wide CAs for `/metrics`: published roots and subordinates, client CAs. */
function serviceCertificates(control: TlsqlControlPlane, ca: CertificateAuthority): ExpiringCertificate[] {
  const out: ExpiringCertificate[] = ca.records().flatMap((r) => [
    { kind: 'ca_root', labels: { ca: r.familyId, region: r.region }, notAfter: r.notAfter },
    { kind: 'ca_subordinate', labels: { ca: r.familyId, region: r.region }, notAfter: new Date(new X509Certificate(r.subordinatePem).validTo) },
  ]);
  for (const c of control.connectionSecurity.clientCaExpiry()) out.push({ kind: 'client_ca', labels: { ca: 'client', region: c.region }, notAfter: c.notAfter });
  return out;
}

/** Access keys from the metadata store; secrets are unsealed only to verify a signature. */
export function storeCredentials(store: Store, masterKey: Buffer): CredentialStore {
  return {
    async lookup(accessKeyId: string) {
      const k = store.getAccessKey(accessKeyId);
      // IAM users' keys sign IAM database authentication tokens only; the API refuses them as unknown.
      if (!k || isIamUserPrincipal(k.principal)) return null;
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
    // Leaf keys come from a pool of spares so a CA rotation does not wait for RSA key generation.
    const keyPool = new KeyPool({ logger: opts.logger });
    const ca = new CertificateAuthority({ dir: paths.pki, masterKey, regions: [...config.regions], clock, logger: opts.logger, keySource: keyPool });
    await ca.ensureHierarchy();
    await ensureApiCredentials(config, store, masterKey, clock.now());
    return { store, ca, masterKey, identity, clock, keyPool };
  } catch (e) {
    store.close();
    throw e;
  }
}

/**
 * `tlsql init` and `setup`: initialise() and `then` (saving config.json) under the data dir's lock,
 * so they never migrate the store or write keys under a running server: DataDirInUse then, with
 * nothing changed.
 */
export async function initialiseUnderLock(config: Config, opts: { logger: Logger; env?: NodeJS.ProcessEnv }, then: () => Promise<void> = async () => {}): Promise<void> {
  await ensureDataDir(config.dataDir);
  const lock = await lockDataDir(config.dataDir, new Date(), 'tlsql init');
  try {
    const r = await initialise(config, opts);
    r.store.close();
    await then();
  } finally {
    await lock.release();
  }
}

/**
 * Starts everything `tlsql server` runs: engines, endpoints, the certificate scheduler, the API.
 * `schedulerIntervalMs`: pause between certificate passes, default 60000; 0 runs passes only
 * through `service.scheduler.tick()` (tests with a ManualClock).
 */
export async function startService(config: Config, opts: { logger: Logger; clock?: Clock; env?: NodeJS.ProcessEnv; schedulerIntervalMs?: number }): Promise<Service> {
  const logger = opts.logger;
  // Before anything is read or written: without its native data plane the service serves nothing,
  // and says how to build it (NativeLoadError) rather than starting half-way.
  const native = loadNativeBinding();
  logger.info('native data plane loaded', { openssl: native.opensslVersion, threads: config.frontDoor.dataplaneThreads || availableParallelism() });
  // The data dir is owned by one server: take it before anything in it is read or written, so a
  // second server changes nothing (no instance status, no port) and says who owns it.
  await ensureDataDir(config.dataDir);
  const lock = await lockDataDir(config.dataDir);
  try {
    return await serveWithLock(config, opts, lock);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

async function serveWithLock(config: Config, opts: { logger: Logger; clock?: Clock; env?: NodeJS.ProcessEnv; schedulerIntervalMs?: number }, lock: DataDirLock): Promise<Service> {
  const logger = opts.logger;
  const { store, ca, masterKey, identity, clock, keyPool } = await initialise(config, opts);
  const paths = dataPaths(config.dataDir);
  const detected = await LocalMariadbEngine.detect();
  const engine = new LocalMariadbEngine({ dataDir: config.dataDir, masterKey, version: detected.version, mariadbd: detected.mariadbd, installDb: detected.installDb, clock, logger: logger.child({ component: 'engine' }) });
  const control = new TlsqlControlPlane({ config, store, ca, engine, masterKey, clock, logger, accountId: identity.accountId, endpointSuffix: identity.endpointSuffix });
  await control.reconcile();
  keyPool.prewarm(leafKeyKinds());
  const scheduler = new CertificateScheduler({ control, logger, intervalMs: opts.schedulerIntervalMs, keyPool });
  scheduler.start();
  const lifecycleMetrics: CertificateMetricsSource = {
    store,
    activeLinkCertificate: (resourceId) => control.linkCertificates.activeByResourceId(resourceId),
    counters: control.certificateCounters,
    prepared: control.preparedCertificates,
  };
  const metrics = (): string =>
    renderMetrics(control.runtime.frontDoors(), [...serviceCertificates(control, ca), ...linkCertificateExpiry(lifecycleMetrics)], control.runtime.dataplaneStats()) +
    renderCertificateMetrics(lifecycleMetrics) +
    control.replication.renderMetrics();
  const credentials = storeCredentials(store, masterKey);
  // The console: sessions on the injected clock; its Traffic charts sample what /metrics serves.
  const consoleAuth = new ConsoleAuth({ clock });
  const history = new MetricsHistory({ metrics, clock });
  let apiUrl = '';
  const apiConsoleActions = consoleActions({
    auth: consoleAuth,
    publicUrl: () => (config.api.publicUrl ?? apiUrl).replace(/\/$/, ''),
    bundlePem: (region) => ca.bundlePem(region),
    probeAddress: config.listenAddresses[0] ?? '127.0.0.1',
  });
  const api = createApiServer({
    control,
    credentials,
    region: config.region,
    logger: logger.child({ component: 'api' }),
    clock,
    maxBodyBytes: config.api.maxBodyBytes,
    headersTimeoutMs: config.api.headersTimeoutMs,
    bodyTimeoutMs: config.api.bodyTimeoutMs,
    maxConcurrentBodies: config.api.maxConcurrentBodies,
    metrics,
    // global-bundle, <region>-bundle, <ca-id>-bundle, <region>-<ca-id>-bundle; .pem or .p7b.
    bundles: { pem: (file: string) => resolveBundleFile(ca, config.regions, file) },
    // <region>-client-ca-g1.crl (DER) / .pem: each client CA's CRL (docs/revocation.md).
    crls: { get: (file: string) => control.connectionSecurity.publishedCrl(file) },
    console: createConsoleServer({
      control,
      auth: consoleAuth,
      credentials,
      assets: new ConsoleAssets(defaultAssetsDir()),
      logger,
      extraActions: apiConsoleActions,
      history,
      bundlePem: (file) => resolveBundleFile(ca, config.regions, file),
      // Behind a TLS proxy (publicUrl https) the browser sees https: the cookie must never travel in clear.
      secureCookies: config.api.publicUrl?.startsWith('https:') ?? false,
      info: { region: config.region },
      maxBodyBytes: config.api.maxBodyBytes,
      bodyTimeoutMs: config.api.bodyTimeoutMs,
    }),
    extraActions: apiConsoleActions,
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
  apiUrl = `http://${host}:${port}`;
  history.start();
  control.connectionSecurity.setPublicApiUrl(apiUrl);
  await writeFile(paths.serverState, JSON.stringify({ pid: process.pid, apiUrl, startedAt: clock.now().toISOString() }) + '\n');
  logger.info('tlsql server ready', { apiUrl, dataDir: config.dataDir, instances: store.listInstances().length });

  let closing: Promise<void> | null = null;
  return {
    config,
    store,
    ca,
    control,
    scheduler,
    keyPool,
    api,
    apiUrl,
    console: { auth: consoleAuth, history },
    close: () =>
      (closing ??= (async () => {
        history.stop();
        api.closeAllConnections?.();
        await new Promise<void>((r) => api.close(() => r()));
        // Background certificate preparation first: it would otherwise generate keys on demand once the pool is closed.
        await control.preparedCertificates.stop();
        await scheduler.stop();
        keyPool.close();
        await control.shutdown();
        store.close();
        await rm(paths.serverState, { force: true });
        await lock.release();
      })()),
  };
}
