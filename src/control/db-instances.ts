/**
 * DB instance operations: CreateDBInstance, DescribeDBInstances, ModifyDBInstance,
 * DeleteDBInstance, RebootDBInstance, StopDBInstance, StartDBInstance, and bringing instances back
 * after a restart. Operations on one instance are serialised with the shared instance lock; long
 * work (provisioning, deletes, restarts) runs after the call returns, with the status visible to
 * Describe while it happens, as in RDS.
 */
import type { Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import { newResourceId } from '../lib/ids.js';
import type { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { CreateDbInstanceInput, CreateDbInstanceReadReplicaInput, DeleteDbInstanceInput, ModifyDbInstanceInput } from '../model/db-instance-requests.js';
import type { DbInstance, InstanceStatus } from '../model/db-instance.js';
import type { Filter } from '../model/filter.js';
import type { Tag } from '../model/tag.js';
import type { LinkKeyType } from '../model/link-certificate-record.js';
import { CA_FAMILIES, isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import type { Store } from '../store/store.js';
import type { CaCatalogue } from './ca-catalogue.js';
import type { CertificateLifecycle } from './certificate-lifecycle.js';
import type { ConnectionSecurity } from './connection-security.js';
import type { EngineVersions } from './engine-versions.js';
import { publicReason, type EventRecorder } from './events.js';
import { slotOfEngine, type InstanceRuntime } from './instance-runtime.js';
import type { LinkCertificates } from './link-certificates.js';
import type { MaintenanceActions } from './maintenance.js';
import { isInMaintenanceWindow } from './maintenance-window.js';
import { DEFAULT_PARAMETER_GROUP } from './parameters.js';
import type { PortAllocator } from './port-allocator.js';
import type { PreparedCertificates } from './prepared-certificates.js';
import { applySettings, settingsForCreate, settingsForModify, type SettingsChecks } from './instance-settings.js';
import { tagsForNewResource } from './resource-tags.js';
import { MultiAz } from './multi-az.js';
import type { Replication } from './replication.js';
import type { RetryBackoff } from './retry-backoff.js';
import type { ServerCertificates } from './server-certificates.js';
import { validateInstanceIdentifier, validateMaintenanceWindow, validateMasterPassword, validateMasterUsername, validatePort } from './validation.js';

const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';

/** Everything instance operations drive: the runtime, the certificate and security services, the shared lock. */
export interface DbInstancesDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  accountId: string;
  /** 12 lower-case chars shared by every endpoint of this service, like RDS's per-account part. */
  endpointSuffix: string;
  runtime: InstanceRuntime;
  events: EventRecorder;
  security: ConnectionSecurity;
  servers: ServerCertificates;
  links: LinkCertificates;
  lifecycle: CertificateLifecycle;
  prepared: PreparedCertificates;
  maintenance: MaintenanceActions;
  cas: CaCatalogue;
  engineVersions: EngineVersions;
  ports: PortAllocator;
  /** The instance lock, shared with the control plane's other per-instance operations. */
  lock: KeyedLock;
  /** Backoff of automatic retries of instances that could not be brought up (kind `activation`). */
  recovery: RetryBackoff;
  /** Subnet and option group checks for the settings IaC tools send (instance-settings.ts). */
  settings: SettingsChecks;
  /** Read replicas' channels (replication.ts). */
  replication: Replication;
}

/** RDS's limit of read replicas per source. */
export const MAX_READ_REPLICAS = 15;

/**
 * Statuses of an instance that could not be brought up, and that the service keeps retrying:
 * `incompatible-network` for a network problem tlsql cannot solve (its endpoint port taken by
 * another program), `failed` for the rest (an engine that does not start). Both accept
 * RebootDBInstance and StartDBInstance, which try again at once, keeping the data.
 */
const RECOVERING: readonly InstanceStatus[] = ['incompatible-network', 'failed'];

/**
 * Why an endpoint could not listen, when the network is to blame (its port taken by another
 * program, or the address not there or not allowed): the errno code; else null.
 */
function portProblem(e: unknown): string | null {
  for (let c: unknown = e; c instanceof Error; c = c.cause) {
    const code = (c as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') return code;
  }
  return null;
}

/** The DB instance services; see the file comment. */
export class DbInstances {
  private readonly background = new Set<Promise<unknown>>();
  private readonly log: Logger;
  /** The next automatic attempt to bring an instance up, by instance id. */
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private closed = false;
  /** Multi-AZ standbys and failovers (multi-az.ts). */
  readonly multiAz: MultiAz;

  constructor(private readonly d: DbInstancesDeps) {
    this.log = d.logger;
    this.multiAz = new MultiAz({
      store: d.store,
      clock: d.clock,
      logger: d.logger,
      runtime: d.runtime,
      replication: d.replication,
      links: d.links,
      security: d.security,
      events: d.events,
      lock: d.lock,
      settings: d.config.multiAz,
      inBackground: (p) => this.inBackground(p),
    });
    d.runtime.onEngineState((e) => this.onEngineState(e.id, e.state, e.reason));
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** Makes reality match the store after a (re)start: instances come back exactly as they were. */
  async reconcile(): Promise<void> {
    for (const inst of this.d.store.listInstances()) {
      try {
        switch (inst.status) {
          case 'creating':
            // The master password is never stored, so an interrupted creation cannot be resumed.
            await this.d.runtime.destroy(inst.id).catch(() => {});
            if (inst.readReplicaSourceId !== undefined) await this.d.replication.disconnect(inst, { applyFirst: false }).catch(() => {});
            this.setStatus(inst, 'failed');
            this.d.events.instance(inst, 'DB instance creation was interrupted by a tlsql restart; delete it and create it again', ['failure']);
            break;
          case 'deleting':
            await this.finishDelete(inst);
            break;
          case 'stopped':
            break;
          case 'failed':
          case 'incompatible-network':
            // A creation that never completed has no engine to start: only DeleteDBInstance helps.
            if (!(await this.d.runtime.engineProvisioned(inst.id))) break;
            this.applyPendingOnReboot(inst);
            await this.bringUp(inst, 'start');
            break;
          case 'stopping':
            await this.d.runtime.deactivate(inst.id).catch(() => {});
            this.setStatus(inst, 'stopped');
            break;
          default:
            // Engine and endpoint start (or are adopted and given the group's values) as on a
            // reboot, so what waited for one is in force from here: ParameterApplyStatus says so.
            this.applyPendingOnReboot(inst);
            await this.bringUp(inst, 'start');
        }
        // A standby whose build a restart interrupted (or that a failover left to rebuild) is built
        // now; so is one a restart caught in the middle of a failover, which replicates from nothing.
        if (inst.multiAz?.standby === 'in-sync' && inst.status === 'available' && (await this.d.runtime.standbyStatus(inst).catch(() => null)) === null) {
          this.log.warn('Multi-AZ standby does not replicate; rebuilding it', { instance: inst.id });
          inst.multiAz.standby = 'none';
          this.d.store.updateInstance(inst);
        }
        // A standby that turning Multi-AZ off did not finish removing (a restart came in between).
        if (!inst.multiAz && (await this.d.runtime.strayStandby(inst))) this.log.info('removed a standby engine left by turning Multi-AZ off', { instance: inst.id });
        if (inst.multiAz && inst.multiAz.standby !== 'in-sync' && inst.status === 'available') {
          this.inBackground(
            this.d.lock.run(inst.id, async () => {
              const current = this.d.store.getInstance(inst.id);
              if (current?.multiAz && current.multiAz.standby !== 'in-sync' && current.status === 'available') {
                await this.multiAz.buildStandby(current).catch((e: unknown) => this.d.events.instance(current, `Multi-AZ standby could not be built: ${publicReason(e)}; commits are not synchronous. Reboot the instance to try again`, ['availability', 'failure']));
              }
            }),
          );
        }
      } catch (e) {
        this.log.error('reconcile failed', { instance: inst.id, err: e as Error });
        this.setStatus(inst, 'failed');
        this.d.events.instance(inst, `DB instance could not be started: ${(e as Error).message}`, ['failure']);
      }
    }
  }

  /** Waits for background work (provisioning, deletes) to settle; for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.background.size) await Promise.allSettled([...this.background]);
  }

  /** No more automatic retries (service shutdown); statuses stay as they are for the next start. */
  stopRetries(): void {
    this.closed = true;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
  }

  /**
   * Activates the instance and marks it `available`; when that fails, marks it
   * `incompatible-network` or `failed` (see RECOVERING), raises an event and schedules a retry.
   * Never throws. The caller holds the instance lock (or runs before the API serves).
   */
  private async bringUp(inst: DbInstance, action: string): Promise<void> {
    const wasRecovering = RECOVERING.includes(inst.status);
    try {
      await this.activate(inst);
    } catch (e) {
      this.cannotBringUp(inst, action, e);
      return;
    }
    this.d.recovery.succeeded(inst.resourceId, 'activation');
    this.setStatus(inst, 'available');
    if (wasRecovering) this.d.events.instance(inst, `DB instance recovered: engine running, endpoint open on port ${inst.endpoint.port}`, ['recovery']);
  }

  /** The status, event and retry for an instance that could not be brought up (see bringUp). */
  private cannotBringUp(inst: DbInstance, action: string, e: unknown): void {
    const portTaken = portProblem(e);
    const status: InstanceStatus = portTaken ? 'incompatible-network' : 'failed';
    const reason = portTaken ? `port ${inst.endpoint.port} is in use by another program (${portTaken})` : publicReason(e);
    const next = this.d.recovery.failed(inst.resourceId, 'activation');
    this.log.warn(`${action} failed; retrying later`, { instance: inst.id, status, nextAttempt: next.toISOString(), err: e as Error });
    // One event per change of state, not per retry: a port taken for an hour would flood the events otherwise.
    if (inst.status !== status) {
      this.d.events.instance(
        inst,
        `DB instance ${action} failed: ${reason}. tlsql retries by itself (next attempt ${next.toISOString()}); RebootDBInstance or StartDBInstance try again at once`,
        ['failure'],
      );
    }
    this.setStatus(inst, status);
    this.scheduleRetry(inst.id, next);
  }

  private scheduleRetry(id: string, at: Date): void {
    if (this.closed) return;
    this.cancelRetry(id);
    const timer = setTimeout(() => {
      this.retryTimers.delete(id);
      this.inBackground(
        this.d.lock.run(id, async () => {
          const inst = this.d.store.getInstance(id);
          // An API call (start, reboot, stop, delete) may have taken over since.
          if (this.closed || !inst || !RECOVERING.includes(inst.status)) return;
          await this.bringUp(inst, 'start');
        }),
      );
    }, Math.max(0, at.getTime() - this.d.clock.now().getTime()));
    timer.unref();
    this.retryTimers.set(id, timer);
  }

  private cancelRetry(id: string): void {
    const t = this.retryTimers.get(id);
    if (t) clearTimeout(t);
    this.retryTimers.delete(id);
  }

  /** Engine running (trusting the current client CAs), endpoint open. Idempotent. */
  private async activate(inst: DbInstance): Promise<void> {
    await this.d.runtime.startEngine(inst);
    await this.d.security.ensureEngineTrust(inst);
    await this.openEndpoint(inst);
  }

  /**
   * Opens the endpoint unless it is open: with `serverCertificate` when one was just issued (its
   * key still in memory), else with the active one from the store.
   */
  private async openEndpoint(inst: DbInstance, serverCertificate?: { chainPem: string; keyPem: string }, linkKeyType?: LinkKeyType): Promise<void> {
    if (this.d.runtime.isServing(inst.id)) return;
    const resolvedLinkKeyType = linkKeyType ?? (await this.d.links.activeKeyType(inst));
    await this.d.security.openWithClientTrust(inst, (clientTrust) =>
      this.d.runtime.openEndpoint(inst, {
        ...(serverCertificate ? { serverCertificate } : {}),
        linkKeyType: resolvedLinkKeyType,
        clientTrust,
        allowList: () => this.d.security.allowListFor(inst),
      }),
    );
  }

  // --- create ----------------------------------------------------------------------------

  /** CreateDBInstance: validates, records the instance as `creating`, provisions in the background. */
  async create(input: CreateDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    if (input.engine === undefined || input.engine === '') throw new AppError('MissingParameter', 'The request must contain the parameter Engine');
    if (input.engine !== 'mariadb') {
      throw new AppError('InvalidParameterValue', `Invalid DB engine: ${input.engine}. tlsql runs MariaDB engines: use --engine mariadb.`);
    }
    const engineVersion = this.d.engineVersions.resolve(input.engineVersion);
    const masterUsername = validateMasterUsername(input.masterUsername);
    const masterUserPassword = validateMasterPassword(input.masterUserPassword);
    const own = this.validateOwnSettings(input);
    if (this.d.store.getInstance(id)) throw new AppError('DBInstanceAlreadyExists', `DB instance already exists`);
    const window = validateMaintenanceWindow(input.preferredMaintenanceWindow ?? 'sun:05:00-sun:05:30');
    if (input.dbName !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(input.dbName)) {
      throw new AppError('InvalidParameterValue', 'The parameter DBName must begin with a letter and contain only letters, digits and underscores (1 to 64 characters).');
    }
    const settings = settingsForCreate(input, engineVersion, window, this.d.settings);
    const inst = await this.insertNew(own.requestedPort, (port) => ({
      ...this.newRecord(id, port, own, input, settings),
      engineVersion,
      masterUsername,
      dbName: input.dbName ?? null,
      preferredMaintenanceWindow: window,
      dbSecurityGroups: own.securityGroups,
      ...(input.settings?.multiAZ ? { multiAz: { standby: 'creating' as const } } : {}),
    }));
    this.d.events.instance(inst, 'DB instance creating', ['creation']);
    this.inBackground(this.d.lock.run(id, () => this.provision(inst, own.ca, masterUserPassword)));
    return inst;
  }

  /** What an instance has of its own, created from scratch or as a replica: CA, parameter group, port, DB security groups. */
  private validateOwnSettings(input: { caCertificateIdentifier?: string; dbParameterGroupName?: string; port?: number; dbSecurityGroups?: string[] }): { ca: CaFamilyId; groupName: string; requestedPort: number | undefined; securityGroups: string[] } {
    const ca = input.caCertificateIdentifier ?? this.d.cas.defaultCa();
    if (!isCaFamilyId(ca)) throw new AppError('CertificateNotFound', `Certificate ${ca} not found. Valid identifiers: ${CA_FAMILIES.map((f) => f.id).join(', ')}.`);
    const groupName = input.dbParameterGroupName ?? DEFAULT_PARAMETER_GROUP;
    if (!this.d.store.getParameterGroup(groupName)) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${groupName}`);
    return { ca, groupName, requestedPort: validatePort(input.port), securityGroups: this.d.security.validateSecurityGroupNames(input.dbSecurityGroups) ?? [] };
  }

  /** The fields every new instance starts with (identity, endpoint, its own settings); the caller sets the rest. */
  private newRecord(
    id: string,
    port: number,
    own: { ca: CaFamilyId; groupName: string },
    input: { enableIAMDatabaseAuthentication?: boolean; tags?: Tag[] },
    settings: ReturnType<typeof settingsForCreate>,
  ): Omit<DbInstance, 'engineVersion' | 'masterUsername' | 'dbName' | 'preferredMaintenanceWindow'> {
    const region = this.d.config.region;
    return {
      id,
      resourceId: newResourceId(),
      arn: `arn:aws:rds:${region}:${this.d.accountId}:db:${id}`,
      region,
      engine: 'mariadb',
      status: 'creating',
      endpoint: { address: `${id}.${this.d.endpointSuffix}.${region}.${this.d.config.domain}`, port, hostedZoneId: HOSTED_ZONE_ID },
      createdAt: this.d.clock.now(),
      certificate: null,
      pendingModifiedValues: {},
      insecureTlsAllowed: false,
      caCertificateIdentifier: own.ca,
      parameterGroup: { name: own.groupName, applyStatus: 'in-sync' },
      iamDatabaseAuthenticationEnabled: input.enableIAMDatabaseAuthentication ?? false,
      tags: tagsForNewResource(input.tags),
      ...settings,
    };
  }

  /**
   * Stores a new instance built by `build` for a port: the requested one, or a free one (picking
   * another when a concurrent creation took it first). Nothing is stored when this throws.
   */
  private async insertNew(requestedPort: number | undefined, build: (port: number) => DbInstance): Promise<DbInstance> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = requestedPort ?? (await this.d.ports.freePort());
      if (requestedPort !== undefined) await this.d.ports.assertPortFree(requestedPort);
      const inst = build(port);
      inst.insecureTlsAllowed = this.d.runtime.policyFor(inst).insecure;
      if (!this.d.store.insertInstance(inst)) {
        if (this.d.store.getInstance(inst.id)) throw new AppError('DBInstanceAlreadyExists', `DB instance already exists`);
        if (requestedPort !== undefined) throw new AppError('PortInUse', `Port ${requestedPort} is already used by another DB instance.`);
        continue; // lost a race for an automatically chosen port; pick the next one
      }
      return inst;
    }
    throw new AppError('StorageQuotaExceeded', 'Could not allocate a port for the DB instance; configure a larger port range.');
  }

  /**
   * CreateDBInstanceReadReplica: a new instance seeded from a consistent copy of its running source
   * and replicating from it over verified TLS (replication.ts). Engine version, master user,
   * database name and storage come from the source; class, port, CA, parameter group and the
   * rest are the replica's own, with RDS's defaults (not the source's).
   */
  async createReadReplica(input: CreateDbInstanceReadReplicaInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    if (!input.sourceDbInstanceIdentifier) throw new AppError('MissingParameter', 'The request must contain the parameter SourceDBInstanceIdentifier');
    const arn = /^arn:aws:rds:[^:]*:[^:]*:db:(.+)$/.exec(input.sourceDbInstanceIdentifier);
    const sourceId = (arn ? arn[1]! : input.sourceDbInstanceIdentifier).toLowerCase();
    const own = this.validateOwnSettings(input);
    // Under the source's lock: it cannot be deleted, stopped or promoted while its replica is recorded.
    return this.d.lock.run(sourceId, async () => {
      const source = this.d.store.getInstance(sourceId);
      if (!source || (arn && source.arn !== input.sourceDbInstanceIdentifier)) throw new AppError('DBInstanceNotFound', `DBInstance ${input.sourceDbInstanceIdentifier} not found.`);
      if (this.d.store.getInstance(id)) throw new AppError('DBInstanceAlreadyExists', 'DB instance already exists');
      if (source.status !== 'available') {
        throw new AppError('InvalidDBInstanceState', `DB instance ${source.id} is not in available state (it is ${source.status}): a read replica is copied from a running source.`);
      }
      if (source.backupRetentionPeriod === 0) {
        throw new AppError('InvalidDBInstanceState', `Automated backups are not enabled for this database instance. To enable automated backups, use ModifyDBInstance to set the backup retention period to a non-zero value.`);
      }
      if (this.d.replication.replicaIdsOf(source.id).length >= MAX_READ_REPLICAS) {
        throw new AppError('InstanceQuotaExceeded', `DB instance ${source.id} already has ${MAX_READ_REPLICAS} read replicas, the most a source can have.`);
      }
      if (input.settings?.multiAZ) throw new AppError('InvalidParameterCombination', 'tlsql does not create Multi-AZ read replicas: create the replica, then promote it and turn Multi-AZ on with ModifyDBInstance, or leave MultiAZ out.');
      const window = source.preferredMaintenanceWindow;
      const settings = settingsForCreate(
        { dbInstanceIdentifier: id, engine: 'mariadb', dbInstanceClass: input.dbInstanceClass ?? source.instanceClass, allocatedStorage: source.allocatedStorageGiB, settings: { backupRetentionPeriod: 0, ...input.settings } },
        source.engineVersion,
        window,
        this.d.settings,
      );
      const inst = await this.insertNew(own.requestedPort, (port) => ({
        ...this.newRecord(id, port, own, input, settings),
        engineVersion: source.engineVersion,
        masterUsername: source.masterUsername,
        dbName: source.dbName,
        preferredMaintenanceWindow: window,
        dbSecurityGroups: own.securityGroups,
        readReplicaSourceId: source.id,
        // Its IAM accounts are copies of the source's, made with the source's secret.
        iamSecretOf: source.iamSecretOf ?? source.resourceId,
      }));
      this.d.events.instance(inst, `DB instance creating: read replica of ${source.id}`, ['creation', 'read replica']);
      this.inBackground(this.d.lock.run(id, () => this.provision(inst, own.ca, '', source)));
      return inst;
    });
  }

  /**
   * Certificates, engine, endpoint. The new certificates' keys are recorded sealed and also handed
   * on in memory, so the first start never unseals what it has just sealed.
   */
  private async provision(inst: DbInstance, ca: CaFamilyId, masterUserPassword: string, seedFrom?: DbInstance): Promise<void> {
    try {
      const cert = await this.d.servers.issueFirst(inst, ca);
      inst.certificate = { caIdentifier: inst.caCertificateIdentifier, validTill: cert.notAfter };
      this.d.store.updateInstance(inst);
      this.d.events.instance(inst, `Server certificate issued by ${inst.caCertificateIdentifier} (serial ${cert.serialHex}, valid until ${cert.notAfter.toISOString()})`, ['security']);
      const link = await this.d.links.issueFirst(inst);
      await this.d.runtime.provisionEngine(inst, masterUserPassword, { certPem: link.certPem, keyPem: link.keyPem, caPem: await this.d.security.engineCaPem(inst) }, seedFrom);
      if (seedFrom) {
        // The source as it is now (its endpoint may have moved to a new certificate meanwhile).
        await this.d.replication.connect(inst, this.d.store.getInstance(seedFrom.id) ?? seedFrom);
        this.d.store.updateInstance(inst);
      }
      await this.openEndpoint(inst, { chainPem: cert.chainPem, keyPem: cert.keyPem }, link.keyType);
      if (inst.dbName && !seedFrom) await this.d.runtime.createDatabase(inst.id, inst.dbName);
      if (inst.multiAz) await this.multiAz.buildStandby(inst);
      this.setStatus(inst, 'available');
      this.d.events.instance(inst, seedFrom ? `DB instance created: read replica of ${seedFrom.id}, replicating over verified TLS` : 'DB instance created', ['creation']);
      this.d.prepared.prepareLater(inst.id);
    } catch (e) {
      this.log.error('provisioning failed', { instance: inst.id, err: e as Error });
      await this.d.runtime.destroy(inst.id).catch(() => {});
      if (inst.replication) await this.d.replication.disconnect(inst, { applyFirst: false }).catch(() => {});
      this.setStatus(inst, 'failed');
      this.d.events.instance(inst, `DB instance creation failed: ${publicReason(e)}`, ['failure']);
    }
  }

  /**
   * A Multi-AZ change asked for without ApplyImmediately, started when the instance is in its
   * maintenance window (as RDS applies it; a reboot applies it too): `modifying` until the standby
   * is built or removed, in the background. Returns whether one started; never throws.
   */
  async applyPendingMultiAz(id: string): Promise<boolean> {
    return this.d.lock
      .run(id, async () => {
        const inst = this.d.store.getInstance(id);
        const on = inst?.pendingModifiedValues.multiAZ;
        if (!inst || on === undefined || inst.status !== 'available' || !isInMaintenanceWindow(this.d.clock.now(), inst.preferredMaintenanceWindow)) return false;
        if (on === (inst.multiAz !== undefined)) {
          delete inst.pendingModifiedValues.multiAZ;
          this.d.store.updateInstance(inst);
          return false;
        }
        this.setStatus(inst, 'modifying');
        this.d.events.instance(inst, `Applying MultiAZ=${on} in the maintenance window ${inst.preferredMaintenanceWindow}`, ['configuration change', 'maintenance']);
        this.inBackground(
          this.d.lock.run(id, async () => {
            const current = this.d.store.getInstance(id);
            if (current) await this.changeMultiAz(current, on);
          }),
        );
        return true;
      })
      .catch((e: unknown) => {
        this.log.error('applying a pending Multi-AZ change failed', { instance: id, err: e as Error });
        return false;
      });
  }

  /**
   * Turns Multi-AZ on (a standby copied from the primary) or off (the standby removed); the caller
   * holds the lock. The instance ends `available` either way: a standby that cannot be built is
   * removed again, with an event that says why.
   */
  private async changeMultiAz(inst: DbInstance, on: boolean): Promise<void> {
    delete inst.pendingModifiedValues.multiAZ;
    try {
      if (on) {
        inst.multiAz = { standby: 'creating' };
        await this.multiAz.buildStandby(inst);
      } else {
        await this.multiAz.removeStandby(inst);
        this.d.events.instance(inst, 'Multi-AZ turned off: the standby was removed', ['configuration change']);
      }
    } catch (e) {
      this.log.error('changing Multi-AZ failed', { instance: inst.id, err: e as Error });
      this.d.events.instance(inst, `Multi-AZ could not be turned ${on ? 'on' : 'off'}: ${publicReason(e)}`, ['configuration change', 'failure']);
      if (on) await this.multiAz.removeStandby(inst).catch(() => {});
    } finally {
      this.setStatus(inst, 'available');
    }
  }

  // --- read replicas ---------------------------------------------------------------------

  /**
   * PromoteReadReplica: the replica applies everything it has received, stops replicating and
   * becomes a standalone, writable instance with the same endpoint and certificate. Status
   * `modifying` meanwhile, as RDS shows it.
   */
  async promote(q: { dbInstanceIdentifier: string; backupRetentionPeriod?: number }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    if (q.backupRetentionPeriod !== undefined && (!Number.isInteger(q.backupRetentionPeriod) || q.backupRetentionPeriod < 0 || q.backupRetentionPeriod > 35)) {
      throw new AppError('InvalidParameterValue', `BackupRetentionPeriod must be from 0 to 35, got ${q.backupRetentionPeriod}.`);
    }
    return this.transition(id, ['available'], 'promote', 'modifying', 'available', async (inst) => {
      await this.promoteNow(inst, 'PromoteReadReplica');
      if (q.backupRetentionPeriod !== undefined) inst.backupRetentionPeriod = q.backupRetentionPeriod;
      else if (inst.backupRetentionPeriod === 0) inst.backupRetentionPeriod = 1;
      this.d.store.updateInstance(inst);
    }, (inst) => {
      if (inst.readReplicaSourceId === undefined) throw new AppError('InvalidDBInstanceState', `DB Instance ${inst.id} is not a read replica.`);
    });
  }

  /** Ends a replica's replication and makes it writable (the caller holds its lock). */
  private async promoteNow(inst: DbInstance, why: string): Promise<void> {
    const source = inst.readReplicaSourceId;
    await this.d.replication.disconnect(inst, { applyFirst: this.d.runtime.isServing(inst.id) });
    this.d.store.updateInstance(inst);
    // read_only follows RDS's {TrueIfReplica}: off now, unless the group sets it.
    if (this.d.runtime.isServing(inst.id)) await this.d.runtime.applyEngineParameters(inst);
    this.d.events.instance(inst, `Read replica promoted to a standalone DB instance (${why}); it no longer replicates from ${source}`, ['read replica', 'configuration change']);
  }

  // --- describe --------------------------------------------------------------------------

  /** DescribeDBInstances; see ControlPlane.describeDbInstances. */
  async describe(q: { dbInstanceIdentifier?: string; filters?: Filter[]; afterId?: string; limit?: number }): Promise<DbInstance[]> {
    // The common call (no identifier, no filter) reads only the page it returns.
    if (q.dbInstanceIdentifier === undefined && !q.filters?.length) return this.d.store.listInstancesAfter(q.afterId, q.limit);
    let list: DbInstance[];
    if (q.dbInstanceIdentifier !== undefined) {
      // An identifier or this service's ARN of one: a keyed lookup, not a scan.
      const arn = /^arn:aws:rds:[^:]*:[^:]*:db:(.+)$/.exec(q.dbInstanceIdentifier);
      const inst = this.d.store.getInstance((arn ? arn[1]! : q.dbInstanceIdentifier).toLowerCase());
      if (!inst || (arn && inst.arn !== q.dbInstanceIdentifier)) throw notFound(q.dbInstanceIdentifier);
      list = [inst];
    } else {
      list = this.d.store.listInstances();
    }
    for (const f of q.filters ?? []) {
      const values = new Set(f.values);
      const pick: Record<string, (i: DbInstance) => boolean> = {
        'db-instance-id': (i) => values.has(i.id) || values.has(i.arn),
        'dbi-resource-id': (i) => values.has(i.resourceId),
        engine: (i) => values.has(i.engine),
        'db-cluster-id': () => false,
        domain: () => false,
      };
      const fn = pick[f.name];
      if (!fn) throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}. Supported: ${Object.keys(pick).join(', ')}.`);
      list = list.filter(fn);
    }
    // listInstances() is in identifier order already.
    if (q.afterId !== undefined) list = list.filter((i) => i.id > q.afterId!);
    return q.limit === undefined ? list : list.slice(0, q.limit);
  }

  // --- modify ----------------------------------------------------------------------------

  /** ModifyDBInstance: everything is validated before anything changes; status `modifying` meanwhile. */
  async modify(input: ModifyDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    const password = input.masterUserPassword !== undefined ? validateMasterPassword(input.masterUserPassword) : undefined;
    const ca = input.caCertificateIdentifier;
    if (ca !== undefined && !isCaFamilyId(ca)) throw new AppError('CertificateNotFound', `Certificate ${ca} not found.`);
    const group = input.dbParameterGroupName;
    if (group !== undefined && !this.d.store.getParameterGroup(group)) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${group}`);
    const window = input.preferredMaintenanceWindow !== undefined ? validateMaintenanceWindow(input.preferredMaintenanceWindow) : undefined;
    const securityGroups = this.d.security.validateSecurityGroupNames(input.dbSecurityGroups);
    return this.d.lock.run(id, async () => {
      const inst = this.mustGet(id);
      this.assertStatus(inst, ['available'], 'modify');
      const multiAz = input.settings?.multiAZ;
      const multiAzChange = multiAz !== undefined && multiAz !== (inst.multiAz !== undefined);
      if (multiAzChange && multiAz && inst.readReplicaSourceId !== undefined) {
        throw new AppError('InvalidParameterCombination', `DB instance ${id} is a read replica: tlsql does not run Multi-AZ read replicas (promote it first).`);
      }
      if (password !== undefined && inst.readReplicaSourceId !== undefined) {
        throw new AppError('InvalidParameterCombination', `DB instance ${id} is a read replica: its master user is its source's. Change the password on the source; it replicates.`);
      }
      // Checked against the instance before anything changes; stored at once (tlsql acts on none of them but DeletionProtection).
      const settings = settingsForModify(inst, input, window, this.d.settings);
      applySettings(inst, settings.patch);
      const changed = [...settings.changed, ...Object.entries({ MultiAZ: multiAzChange ? multiAz : undefined, MasterUserPassword: password, CACertificateIdentifier: ca, DBParameterGroupName: group, EnableIAMDatabaseAuthentication: input.enableIAMDatabaseAuthentication, PreferredMaintenanceWindow: window, DBSecurityGroups: securityGroups })
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k)];
      // Visible to Describe while the changes are applied, as RDS shows `modifying`.
      this.setStatus(inst, 'modifying');
      const standbyNow = multiAzChange && input.applyImmediately === true;
      let applied = false;
      try {
        await this.applyModification(inst, input, { password, ca: ca as CaFamilyId | undefined, group, window, securityGroups });
        if (multiAzChange && !standbyNow) {
          // Applied in the next maintenance window (or at a reboot before it); shown as pending meanwhile.
          inst.pendingModifiedValues.multiAZ = multiAz;
          this.d.store.updateInstance(inst);
        }
        applied = true;
      } finally {
        // A standby to build keeps the instance `modifying` until the background work ends.
        if (!standbyNow || !applied) this.setStatus(inst, 'available');
      }
      if (changed.length) this.d.events.instance(inst, `DB instance modified: ${changed.join(', ')}${input.applyImmediately ? ' (applied immediately)' : ''}`, ['configuration change']);
      const snapshot = structuredClone(inst);
      // Building a standby takes a copy of the data: in the background, `modifying` meanwhile, as RDS shows it.
      if (standbyNow) {
        this.inBackground(
          this.d.lock.run(id, async () => {
            // As it is now: other operations may have stored it since.
            const current = this.d.store.getInstance(id);
            if (current) await this.changeMultiAz(current, multiAz);
          }),
        );
      }
      return snapshot;
    });
  }

  private async applyModification(
    inst: DbInstance,
    input: ModifyDbInstanceInput,
    v: { password: string | undefined; ca: CaFamilyId | undefined; group: string | undefined; window: string | undefined; securityGroups: string[] | undefined },
  ): Promise<void> {
    const { password, ca, group, window, securityGroups } = v;
    if (window) inst.preferredMaintenanceWindow = window;
    if (input.enableIAMDatabaseAuthentication !== undefined) {
      inst.iamDatabaseAuthenticationEnabled = input.enableIAMDatabaseAuthentication;
      // Live at once, as in RDS: the next login and the next account statement see it.
      this.d.runtime.setIamEnabled(inst.id, inst.iamDatabaseAuthenticationEnabled);
    }
    // The allow-list applies at once (no reboot), as security group changes do in RDS.
    if (securityGroups !== undefined) inst.dbSecurityGroups = securityGroups;
    if (group !== undefined && group !== inst.parameterGroup.name) {
      // A new group applies at the next reboot, as in RDS.
      inst.pendingModifiedValues.dbParameterGroupName = group;
      inst.parameterGroup = { name: group, applyStatus: 'pending-reboot' };
    }
    if (password !== undefined) {
      await this.d.runtime.setMasterPassword(inst.id, inst.masterUsername, password);
      this.d.events.instance(inst, 'Reset master credentials', ['configuration change']);
    }
    // With ApplyImmediately, a CA change pending from an earlier request is applied too, as in RDS.
    const pendingCa = inst.pendingModifiedValues.caCertificateIdentifier;
    const targetCa = ca ?? (input.applyImmediately && pendingCa !== undefined && isCaFamilyId(pendingCa) ? pendingCa : undefined);
    if (targetCa !== undefined && targetCa !== inst.caCertificateIdentifier) {
      if (input.applyImmediately) {
        // Swaps the endpoint to a certificate from the new family, verified before the old one is forgotten.
        await this.d.lifecycle.rotateCa(inst, targetCa, 'ModifyDBInstance with ApplyImmediately');
      } else if (targetCa !== pendingCa) {
        inst.pendingModifiedValues.caCertificateIdentifier = targetCa;
        this.d.maintenance.scheduled(inst, targetCa);
      }
    } else if (targetCa !== undefined && pendingCa !== undefined) {
      // Asking for the CA in use withdraws a pending rotation.
      delete inst.pendingModifiedValues.caCertificateIdentifier;
      this.d.maintenance.cancelled(inst, pendingCa);
    }
    this.d.store.updateInstance(inst);
    if (securityGroups !== undefined) this.d.security.invalidateAllowLists();
  }

  // --- delete, reboot, stop, start -------------------------------------------------------

  /** DeleteDBInstance: `deleting` at once, the rest in the background. tlsql takes no snapshots. */
  async delete(input: DeleteDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    if (!input.skipFinalSnapshot && !input.finalDBSnapshotIdentifier) {
      // tlsql has no snapshots; RDS requires one of the two, so keep the same contract.
      throw new AppError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified (tlsql does not take snapshots: use --skip-final-snapshot).');
    }
    if (input.finalDBSnapshotIdentifier) throw new AppError('InvalidParameterValue', 'tlsql does not support snapshots: use --skip-final-snapshot.');
    return this.d.lock.run(id, async () => {
      const inst = this.mustGet(id);
      if (inst.deletionProtection) {
        // RDS's fault and wording: IaC tools match on it to offer turning the protection off first.
        throw new AppError('InvalidParameterCombination', 'Cannot delete protected DB Instance, please disable deletion protection and try again.');
      }
      this.assertStatus(inst, ['available', 'stopped', 'failed', 'incompatible-network', 'incompatible-parameters'], 'delete');
      // Its replicas are promoted when it goes, as in RDS; one still being created has nothing to promote yet.
      const busy = this.d.replication.replicaIdsOf(id).filter((r) => this.d.store.getInstance(r)?.status === 'creating');
      if (busy.length) throw new AppError('InvalidDBInstanceState', `Cannot delete DB instance ${id}: its read replica ${busy.join(', ')} is being created; wait until it is available, then delete ${id} (its replicas are promoted).`);
      this.cancelRetry(id);
      this.setStatus(inst, 'deleting');
      this.d.events.instance(inst, 'DB instance deleting', ['deletion']);
      const snapshot = structuredClone(inst);
      this.inBackground(this.d.lock.run(id, () => this.finishDelete(inst)));
      return snapshot;
    });
  }

  private async finishDelete(inst: DbInstance): Promise<void> {
    for (const r of this.d.replication.replicaIdsOf(inst.id)) {
      await this.d.lock.run(r, async () => {
        const replica = this.d.store.getInstance(r);
        if (!replica || replica.readReplicaSourceId !== inst.id) return;
        try {
          await this.promoteNow(replica, `its source ${inst.id} is being deleted`);
        } catch (e) {
          // Already detached from the source (promoteNow forgets it first): it stands alone either way.
          this.log.error('promoting a replica of a deleted source failed', { instance: r, err: e as Error });
          this.d.store.updateInstance(replica);
        }
      });
    }
    if (inst.readReplicaSourceId !== undefined) await this.d.replication.disconnect(inst, { applyFirst: false });
    await this.d.runtime.destroy(inst.id);
    if (inst.multiAz?.channel) await this.d.replication.revokeChannelCertificate(inst.multiAz.channel, 'cessationOfOperation');
    this.d.store.deleteInstance(inst.id);
    this.d.security.forgetInstance(inst);
    this.d.events.instance(inst, 'DB instance deleted', ['deletion']);
  }

  /** RebootDBInstance: endpoint and engine down and up again; pending static parameters and group apply. */
  async reboot(q: { dbInstanceIdentifier: string; forceFailover?: boolean }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    if (q.forceFailover) {
      return this.transition(id, ['available'], 'reboot', 'rebooting', 'available', (inst) => this.multiAz.failover(inst, 'RebootDBInstance with ForceFailover'), (inst) => {
        if (!inst.multiAz) throw new AppError('InvalidParameterCombination', 'ForceFailover requires a Multi-AZ DB instance.');
        if (!this.multiAz.canFailOver(inst)) throw new AppError('InvalidDBInstanceState', `Cannot fail over DB instance ${inst.id}: its Multi-AZ standby is being built; wait until it is in sync (StatusInfos).`);
      });
    }
    return this.transition(id, ['available', ...RECOVERING], 'reboot', 'rebooting', 'available', async (inst) => {
      await this.d.runtime.deactivate(inst.id);
      const multiAz = inst.pendingModifiedValues.multiAZ;
      this.applyPendingOnReboot(inst);
      await this.activate(inst);
      if (multiAz !== undefined && multiAz !== (inst.multiAz !== undefined)) await this.changeMultiAz(inst, multiAz);
      this.d.recovery.succeeded(inst.resourceId, 'activation');
      this.d.events.instance(inst, 'DB instance restarted', ['availability']);
    });
  }

  /** StopDBInstance: endpoint closed, engine stopped, data kept; also ends automatic retries. */
  async stop(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    return this.transition(id, ['available', ...RECOVERING], 'stop', 'stopping', 'stopped', async (inst) => {
      await this.d.runtime.deactivate(inst.id);
      this.d.events.instance(inst, 'DB instance stopped', ['notification']);
    }, (inst) => {
      // RDS for MariaDB: "You can't stop a DB instance that has a read replica, or that is a read replica."
      if (inst.readReplicaSourceId !== undefined) throw new AppError('InvalidDBInstanceState', `Cannot stop DB instance ${id}: it is a read replica (promote it first, or delete it).`);
      const replicas = this.d.replication.replicaIdsOf(id);
      if (replicas.length) throw new AppError('InvalidDBInstanceState', `Cannot stop DB instance ${id}: it has read replicas (${replicas.join(', ')}).`);
    });
  }

  /**
   * StartDBInstance of a stopped instance, or of one that could not be brought up (RECOVERING):
   * tries again at once. Pending static parameters and group apply.
   */
  async start(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    return this.transition(id, ['stopped', ...RECOVERING], 'start', 'starting', 'available', async (inst) => {
      this.applyPendingOnReboot(inst);
      await this.activate(inst);
      this.d.recovery.succeeded(inst.resourceId, 'activation');
      this.d.events.instance(inst, 'DB instance started', ['notification']);
    });
  }

  /** Static parameters and a new parameter group take effect on a restart. */
  private applyPendingOnReboot(inst: DbInstance): void {
    delete inst.pendingModifiedValues.dbParameterGroupName;
    inst.parameterGroup = { name: inst.parameterGroup.name, applyStatus: 'in-sync' };
    inst.insecureTlsAllowed = this.d.runtime.policyFor(inst).insecure;
    this.d.store.updateInstance(inst);
  }

  /**
   * Status change visible at once; the work runs in the background. A start or reboot that fails
   * leaves the instance recovering (see cannotBringUp); another failure -> 'failed' + event.
   */
  private async transition(
    id: string,
    from: readonly InstanceStatus[],
    action: string,
    during: InstanceStatus,
    after: InstanceStatus,
    work: (inst: DbInstance) => Promise<void>,
    check?: (inst: DbInstance) => void,
  ): Promise<DbInstance> {
    return this.d.lock.run(id, async () => {
      const inst = this.mustGet(id);
      check?.(inst);
      this.assertStatus(inst, from, action);
      if (inst.status === 'failed' && !(await this.d.runtime.engineProvisioned(id))) {
        throw new AppError('InvalidDBInstanceState', `Cannot ${action} DB instance ${id}: its creation did not complete, so there is no database to ${action}; delete it and create it again.`);
      }
      this.cancelRetry(id);
      this.setStatus(inst, during);
      const snapshot = structuredClone(inst);
      this.inBackground(
        this.d.lock.run(id, async () => {
          try {
            await work(inst);
            this.setStatus(inst, after);
          } catch (e) {
            if (action === 'start' || action === 'reboot') {
              this.cannotBringUp(inst, action, e);
              return;
            }
            this.log.error(`${action} failed`, { instance: id, err: e as Error });
            this.setStatus(inst, 'failed');
            this.d.events.instance(inst, `DB instance ${action} failed: ${publicReason(e)}`, ['failure']);
          }
        }),
      );
      return snapshot;
    });
  }

  // --- supervision -----------------------------------------------------------------------

  private onEngineState(engineId: string, state: string, reason?: string): void {
    const { instanceId: id, slot } = slotOfEngine(engineId);
    const inst = this.d.store.getInstance(id);
    if (!inst) return;
    // A Multi-AZ standby: its supervisor restarts it and it catches up by itself; the primary's
    // status does not change (StatusInfos shows commits going asynchronous meanwhile).
    if (slot !== (inst.primarySlot ?? 'a')) return;
    if (state === 'crashed' && inst.status === 'available' && this.multiAz.canFailOver(inst) && this.d.runtime.isServing(id)) {
      this.inBackground(this.multiAz.failoverLocked(id, `the primary engine ended unexpectedly${reason ? `: ${reason}` : ''}`));
      return;
    }
    // Only the supervisor's own restarts: API actions hold the lock, and a start at service start
    // (reconcile) or by an action happens before the endpoint opens.
    // A restart after a crash says so: it counts even while a long operation (a standby being
    // copied, say) holds the lock.
    const supervisor = (!this.d.lock.held(id) || reason === 'restarted after a crash') && this.d.runtime.isServing(id);
    if (state === 'crashed' && inst.status === 'available') {
      this.setStatus(inst, 'rebooting');
      this.d.events.instance(inst, `DB instance shutdown unexpectedly${reason ? ` (${reason})` : ''}; restarting the engine`, ['failure', 'availability']);
    } else if (state === 'crashed' && inst.status === 'rebooting' && supervisor) {
      // A restart after a crash failed too. The supervisor keeps trying with backoff
      // (engine/local-mariadb.ts); `failed` says an operator should look, and lets Start/Reboot in.
      this.setStatus(inst, 'failed');
      this.d.events.instance(
        inst,
        `DB instance engine could not be restarted${reason ? ` (${reason})` : ''}; tlsql keeps retrying by itself, and RebootDBInstance or StartDBInstance try again at once`,
        ['failure'],
      );
    } else if (state === 'running' && (inst.status === 'rebooting' || inst.status === 'failed') && supervisor) {
      this.setStatus(inst, 'available');
      this.d.events.instance(inst, 'DB instance restarted after an engine failure; data recovered', ['availability']);
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  /** Every stored instance, in identifier order. */
  listAll(): DbInstance[] {
    return this.d.store.listInstances();
  }

  /** The stored instance, or null. */
  find(id: string): DbInstance | null {
    return this.d.store.getInstance(id);
  }

  /** The stored instance, or DBInstanceNotFound. */
  mustGet(id: string): DbInstance {
    const inst = this.d.store.getInstance(id);
    if (!inst) throw notFound(id);
    return inst;
  }

  private assertStatus(inst: DbInstance, allowed: readonly InstanceStatus[], action: string): void {
    if (!allowed.includes(inst.status)) {
      throw new AppError('InvalidDBInstanceState', `Cannot ${action} DB instance ${inst.id}: its status is ${inst.status} (must be ${allowed.join(' or ')}).`);
    }
  }

  private setStatus(inst: DbInstance, status: InstanceStatus): void {
    inst.status = status;
    if (this.d.store.getInstance(inst.id)) this.d.store.updateInstance(inst);
  }

  /** Runs `p` in the background: errors are logged, and idle() (shutdown) waits for it. */
  inBackground(p: Promise<unknown>): void {
    const t = p.catch((e) => this.log.error('background operation failed', { err: e as Error }));
    this.background.add(t);
    void t.finally(() => this.background.delete(t));
  }
}

function notFound(id: string): AppError {
  return new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
}
