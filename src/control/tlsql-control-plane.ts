/**
 * The control plane of a tlsql server: builds the services of this folder over one store, CA and
 * engine, and answers the ControlPlane contract (control-plane.ts) and the certificate
 * scheduler's calls (reconcile/scheduler.ts) by delegating to them. No logic of its own beyond
 * taking the instance lock around scheduler and maintenance work.
 */
import type { Config } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import { AppError } from '../errors/app-error.js';
import { IamDirectory } from '../iam/iam-directory.js';
import type { Clock } from '../lib/clock.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { CaCertificate } from '../model/ca-certificate.js';
import type { CertificateReplacementCounters, MaintenanceOutcome } from '../model/certificate-maintenance.js';
import type { DbEvent } from '../model/db-event.js';
import type { CreateDbInstanceInput, CreateDbInstanceReadReplicaInput, DeleteDbInstanceInput, ModifyDbInstanceInput } from '../model/db-instance-requests.js';
import type { DbInstance } from '../model/db-instance.js';
import type { DbParameterGroup } from '../model/db-parameter-group.js';
import type { EngineVersion } from '../model/engine-version.js';
import type { DbSubnetGroup } from '../model/infrastructure.js';
import type { Filter } from '../model/filter.js';
import type { Parameter, ParameterChange, ParameterSource } from '../model/parameter.js';
import type { ResourcePendingMaintenanceActions } from '../model/pending-maintenance.js';
import type { Tag } from '../model/tag.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { CertificateLifecycleStore } from '../store/certificate-lifecycle-store.js';
import type { Store } from '../store/store.js';
import { SubnetGroupStore } from '../store/subnet-group-store.js';
import { TagStore } from '../store/tag-store.js';
import { CaCatalogue } from './ca-catalogue.js';
import { CertificateLifecycle } from './certificate-lifecycle.js';
import { ConnectionSecurity } from './connection-security.js';
import type { ControlPlane } from './control-plane.js';
import { DbInstances } from './db-instances.js';
import { EngineVersions } from './engine-versions.js';
import { EventRecorder } from './events.js';
import { Infrastructure } from './infrastructure.js';
import { InstanceRuntime } from './instance-runtime.js';
import { LinkCertificates } from './link-certificates.js';
import { MaintenanceActions, parseOptInType } from './maintenance.js';
import { ParameterGroups } from './parameter-groups.js';
import { PortAllocator } from './port-allocator.js';
import { PreparedCertificates } from './prepared-certificates.js';
import { Replication } from './replication.js';
import { ResourceTags } from './resource-tags.js';
import { RetryBackoff } from './retry-backoff.js';
import { ServerCertificates } from './server-certificates.js';

/** The process-wide parts the control plane is built on (service/service.ts creates them). */
export interface ControlPlaneDeps {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  engine: Engine;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
  accountId: string;
  /** 12 lower-case chars shared by every endpoint of this service, like RDS's per-account part. */
  endpointSuffix: string;
}

/** The control plane; see the file comment. */
export class TlsqlControlPlane implements ControlPlane {
  readonly region: string;
  readonly accountId: string;
  /** Engines and endpoints: the only way to reach either. */
  readonly runtime: InstanceRuntime;
  /** IAM users, access keys and policies (IAM database authentication). */
  readonly iam: IamDirectory;
  readonly events: EventRecorder;
  /** Allow-lists (DB security groups), connection list, client certificates and trusted client CAs. */
  readonly connectionSecurity: ConnectionSecurity;
  /** Certificate rotation, renewal and expiry notices. */
  readonly certificates: CertificateLifecycle;
  /** Server certificates issued ahead of CA rotations. */
  readonly preparedCertificates: PreparedCertificates;
  /** Certificate replacements since start, for metrics. */
  readonly certificateCounters: CertificateReplacementCounters = {
    serverRenewals: { succeeded: 0, failed: 0 },
    linkRenewals: { succeeded: 0, failed: 0 },
    caRotations: { succeeded: 0, failed: 0 },
  };
  readonly linkCertificates: LinkCertificates;
  readonly maintenance: MaintenanceActions;
  /** Orderable options, DB subnet groups, option groups, quotas, snapshots (docs/iac.md). */
  readonly infrastructure: Infrastructure;
  private readonly instances: DbInstances;
  private readonly parameterGroups: ParameterGroups;
  private readonly tags: ResourceTags;
  private readonly cas: CaCatalogue;
  private readonly engineVersions: EngineVersions;
  /** Serialises operations on one instance (API, scheduler, maintenance). */
  private readonly lock = new KeyedLock();
  /** Read replicas' channels and health (replication.ts). */
  readonly replication: Replication;
  private readonly monitorIntervalMs: number;
  private monitorTimer: NodeJS.Timeout | null = null;
  private readonly log: Logger;

  constructor(d: ControlPlaneDeps) {
    this.region = d.config.region;
    this.accountId = d.accountId;
    this.log = d.logger;
    const { store, ca, masterKey, clock, logger } = d;
    this.events = new EventRecorder(store, clock, logger);
    this.iam = new IamDirectory({ store, masterKey, accountId: d.accountId, clock });
    this.runtime = new InstanceRuntime({ config: d.config, store, ca, engine: d.engine, masterKey, clock, logger, iam: { identity: this.iam, accountId: d.accountId } });
    this.connectionSecurity = new ConnectionSecurity({ config: d.config, store, ca, masterKey, clock, logger, accountId: d.accountId, runtime: this.runtime });
    const repo = new CertificateLifecycleStore(store);
    const retry = new RetryBackoff(clock);
    const counters = this.certificateCounters;
    this.preparedCertificates = new PreparedCertificates({ store, ca, clock, logger });
    const servers = new ServerCertificates({ store, ca, runtime: this.runtime, prepared: this.preparedCertificates, events: this.events, retry, counters, masterKey, clock, logger });
    this.linkCertificates = new LinkCertificates({ repo, ca, runtime: this.runtime, events: this.events, retry, counters, masterKey, clock, logger });
    this.certificates = new CertificateLifecycle({ store, repo, ca, runtime: this.runtime, servers, links: this.linkCertificates, prepared: this.preparedCertificates, events: this.events, retry, counters, clock, logger });
    this.maintenance = new MaintenanceActions({ lifecycle: this.certificates, events: this.events, clock });
    this.parameterGroups = new ParameterGroups({ store, runtime: this.runtime, clock, logger, region: this.region, accountId: d.accountId, lock: this.lock });
    this.cas = new CaCatalogue({ store, ca, region: this.region });
    const security = this.connectionSecurity;
    this.engineVersions = new EngineVersions(this.runtime.engineVersion, () => this.cas.defaultCa());
    const tagStore = new TagStore(store);
    const infrastructure = new Infrastructure({ store, subnetGroups: new SubnetGroupStore(store), tags: tagStore, clock, region: this.region, accountId: d.accountId, engineVersions: this.engineVersions, firstPort: d.config.firstPort, lastPort: d.config.lastPort, subnetGroupChanged: (g) => this.subnetGroupChanged(store, g) });
    this.infrastructure = infrastructure;
    this.tags = new ResourceTags({
      store,
      tags: tagStore,
      region: this.region,
      accountId: d.accountId,
      lock: this.lock,
      securityGroupExists: (name) => security.hasDbSecurityGroup(name),
      subnetGroupExists: (name) => infrastructure.hasSubnetGroup(name),
    });
    this.replication = new Replication({ store, clock, logger, runtime: this.runtime, security, events: this.events, masterKey, lock: this.lock, bundlePem: () => ca.bundlePem(), inBackground: (p) => this.instances.inBackground(p) });
    const ports = new PortAllocator({ store, firstPort: d.config.firstPort, lastPort: d.config.lastPort, listenAddresses: d.config.listenAddresses });
    this.instances = new DbInstances({
      config: d.config,
      store,
      clock,
      logger,
      accountId: d.accountId,
      endpointSuffix: d.endpointSuffix,
      runtime: this.runtime,
      events: this.events,
      security: this.connectionSecurity,
      servers,
      links: this.linkCertificates,
      lifecycle: this.certificates,
      prepared: this.preparedCertificates,
      maintenance: this.maintenance,
      cas: this.cas,
      engineVersions: this.engineVersions,
      ports,
      lock: this.lock,
      recovery: new RetryBackoff(clock, { baseMs: d.config.recovery.retryBaseMs, maxMs: d.config.recovery.retryMaxMs }),
      settings: infrastructure,
      replication: this.replication,
    });
    this.monitorIntervalMs = d.config.replication.monitorIntervalMs;
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** A modified DB subnet group: instances keep a copy of the group they use (DescribeDBInstances shows it). */
  private async subnetGroupChanged(store: Store, group: DbSubnetGroup): Promise<void> {
    for (const { id } of this.instances.listAll().filter((i) => i.dbSubnetGroup?.name === group.name)) {
      await this.lock.run(id, async () => {
        const inst = this.instances.find(id);
        if (inst?.dbSubnetGroup?.name !== group.name) return;
        inst.dbSubnetGroup = group;
        store.updateInstance(inst);
      });
    }
  }

  /** Makes reality match the store after a (re)start: instances come back exactly as they were. */
  async reconcile(): Promise<void> {
    await this.instances.reconcile();
    this.startMonitor();
  }

  /** Looks at replicas and Multi-AZ primaries every `replication.monitorIntervalMs` (replication.ts, multi-az.ts), one pass at a time. */
  private startMonitor(): void {
    if (this.monitorTimer) return;
    const pass = async () => {
      // Side by side: a slow look at a replica never delays a Multi-AZ failover.
      await Promise.all([
        this.replication.poll().catch((e: unknown) => this.log.warn('replication monitor pass failed', { err: e as Error })),
        this.instances.multiAz.poll().catch((e: unknown) => this.log.warn('Multi-AZ monitor pass failed', { err: e as Error })),
      ]);
      if (this.monitorTimer) this.monitorTimer = setTimeout(() => void pass(), this.monitorIntervalMs).unref();
    };
    this.monitorTimer = setTimeout(() => void pass(), this.monitorIntervalMs).unref();
  }

  /** Waits for background work (provisioning, deletes) to settle; for shutdown and tests. */
  idle(): Promise<void> {
    return this.instances.idle();
  }

  /** Stops certificate preparation, waits for background work, closes endpoints and stops engines. */
  async shutdown(): Promise<void> {
    if (this.monitorTimer) clearTimeout(this.monitorTimer);
    this.monitorTimer = null;
    this.instances.stopRetries();
    await this.preparedCertificates.stop();
    await this.idle();
    await this.runtime.shutdown();
  }

  // --- DB instances ----------------------------------------------------------------------

  async createDbInstance(input: CreateDbInstanceInput): Promise<DbInstance> {
    return this.withLive(await this.instances.create(input));
  }

  async describeDbInstances(q: { dbInstanceIdentifier?: string; filters?: Filter[]; afterId?: string; limit?: number }): Promise<DbInstance[]> {
    const list = await this.instances.describe(q);
    const replicas = this.replication.replicasBySource();
    return list.map((i) => this.withLive(i, replicas));
  }

  /** `inst` with what is derived when it is described: its read replicas and replication health. */
  private withLive(inst: DbInstance, replicasBySource = this.replication.replicasBySource()): DbInstance {
    inst.live = { readReplicaIds: replicasBySource.get(inst.id) ?? [], statusInfos: [...this.replication.statusInfos(inst), ...this.instances.multiAz.statusInfos(inst)] };
    return inst;
  }

  async createDbInstanceReadReplica(input: CreateDbInstanceReadReplicaInput): Promise<DbInstance> {
    return this.withLive(await this.instances.createReadReplica(input));
  }

  async promoteReadReplica(q: { dbInstanceIdentifier: string; backupRetentionPeriod?: number }): Promise<DbInstance> {
    return this.withLive(await this.instances.promote(q));
  }

  async modifyDbInstance(input: ModifyDbInstanceInput): Promise<DbInstance> {
    return this.withLive(await this.instances.modify(input));
  }

  async deleteDbInstance(input: DeleteDbInstanceInput): Promise<DbInstance> {
    return this.withLive(await this.instances.delete(input));
  }

  async rebootDbInstance(q: { dbInstanceIdentifier: string; forceFailover?: boolean }): Promise<DbInstance> {
    return this.withLive(await this.instances.reboot(q));
  }

  async stopDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    return this.withLive(await this.instances.stop(q));
  }

  async startDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    return this.withLive(await this.instances.start(q));
  }

  // --- certificates and engine versions --------------------------------------------------

  describeCertificates(q: { certificateIdentifier?: string; filters?: Filter[] }): Promise<{ certificates: CaCertificate[]; defaultCertificateForNewLaunches: string }> {
    return this.cas.describe(q);
  }

  modifyCertificates(q: { certificateIdentifier?: string; removeCustomerOverride?: boolean }): Promise<CaCertificate | null> {
    return this.cas.modify(q);
  }

  describeDbEngineVersions(q: { engine?: string; engineVersion?: string; dbParameterGroupFamily?: string; defaultOnly?: boolean }): Promise<EngineVersion[]> {
    return this.engineVersions.describe(q);
  }

  // --- tags ----------------------------------------------------------------------------

  listTagsForResource(q: { resourceName: string }): Promise<Tag[]> {
    return this.tags.list(q);
  }

  addTagsToResource(q: { resourceName: string; tags: Tag[] }): Promise<void> {
    return this.tags.add(q);
  }

  removeTagsFromResource(q: { resourceName: string; tagKeys: string[] }): Promise<void> {
    return this.tags.remove(q);
  }

  // --- parameter groups ------------------------------------------------------------------

  createDbParameterGroup(q: { name: string; family: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    return this.parameterGroups.create(q);
  }

  describeDbParameterGroups(q: { name?: string }): Promise<DbParameterGroup[]> {
    return this.parameterGroups.describe(q);
  }

  deleteDbParameterGroup(q: { name: string }): Promise<void> {
    return this.parameterGroups.delete(q);
  }

  modifyDbParameterGroup(q: { name: string; parameters: ParameterChange[] }): Promise<string> {
    return this.parameterGroups.modify(q);
  }

  resetDbParameterGroup(q: { name: string; resetAll?: boolean; parameters?: ParameterChange[] }): Promise<string> {
    return this.parameterGroups.reset(q);
  }

  describeDbParameters(q: { name: string; source?: ParameterSource }): Promise<Parameter[]> {
    return this.parameterGroups.describeParameters(q);
  }

  copyDbParameterGroup(q: { source: string; target: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    return this.parameterGroups.copy(q);
  }

  describeEngineDefaultParameters(q: { family: string }): Promise<Parameter[]> {
    return this.parameterGroups.engineDefaults(q);
  }

  // --- events ----------------------------------------------------------------------------

  async describeEvents(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): Promise<DbEvent[]> {
    return this.events.describe(q);
  }

  // --- pending maintenance and certificate upkeep ----------------------------------------

  async describePendingMaintenanceActions(q: { resourceIdentifier?: string; filters?: Filter[] }): Promise<ResourcePendingMaintenanceActions[]> {
    return this.maintenance.describe(this.instances.listAll(), q);
  }

  async applyPendingMaintenanceAction(q: { resourceIdentifier?: string; applyAction?: string; optInType?: string }): Promise<ResourcePendingMaintenanceActions> {
    if (!q.resourceIdentifier) throw new AppError('MissingParameter', 'The request must contain the parameter ResourceIdentifier');
    if (!q.applyAction) throw new AppError('MissingParameter', 'The request must contain the parameter ApplyAction');
    const optIn = parseOptInType(q.optInType);
    const ref = q.resourceIdentifier;
    const found = this.instances.listAll().find((i) => i.arn === ref || i.id === ref.toLowerCase());
    if (!found) throw new AppError('ResourceNotFoundFault', `The specified resource ARN was not found: ${ref}`);
    return this.lock.run(found.id, async () => this.maintenance.apply(this.instances.mustGet(found.id), q.applyAction!, optIn));
  }

  /**
   * Issues up to `limit` of an available instance's missing prepared rotation certificates
   * (prepared-certificates.ts); 0 for other statuses or while background preparations are queued.
   * Never throws.
   */
  async prepareCertificateRotations(id: string, limit: number): Promise<number> {
    try {
      // Background preparations (after creations and rotations) are queued: a pass never waits
      // behind them, it tops up on a later pass instead.
      if (this.preparedCertificates.busy()) return 0;
      const inst = this.instances.find(id);
      return inst?.status === 'available' ? await this.preparedCertificates.prepare(id, limit) : 0;
    } catch (e) {
      this.log.warn('could not prepare certificates for CA rotations', { instance: id, err: e as Error });
      return 0;
    }
  }

  /** One scheduler pass over an instance's certificates, serialised with API operations on it. */
  maintainCertificates(id: string): Promise<MaintenanceOutcome> {
    return this.lock.run(id, async () => {
      const inst = this.instances.find(id);
      return inst ? this.certificates.maintain(inst) : { instanceId: id, skipped: 'deleted', failures: [], notices: [] };
    });
  }

  /** Starts a pending Multi-AZ change in the instance's maintenance window (db-instances.ts). */
  applyPendingMultiAz(id: string): Promise<boolean> {
    return this.instances.applyPendingMultiAz(id);
  }

  /** Drops certificate records of deleted instances and prepared certificates of instances not in `liveIds`; returns how many records went. */
  forgetDeletedInstances(liveIds: ReadonlySet<string>): number {
    return this.certificates.forgetDeletedInstances(liveIds);
  }

  /** Endpoints ask for client certificates exactly while one they trust can be valid (connection-security.ts). */
  syncClientTrust(): Promise<number> {
    return this.connectionSecurity.syncClientTrust();
  }
}
