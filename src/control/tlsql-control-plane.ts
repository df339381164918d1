import net from 'node:net';
import type { Config } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import { AppError } from '../errors/app-error.js';
import { IamDirectory } from '../iam/iam-directory.js';
import type { Clock } from '../lib/clock.js';
import { newResourceId } from '../lib/ids.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { CA_FAMILIES, DEFAULT_CA_FAMILY, isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import type { Store } from '../store/store.js';
import { ConnectionSecurity } from './connection-security.js';
import { CertificateLifecycle, type MaintenanceOutcome } from './certificate-lifecycle.js';
import { EventRecorder } from './events.js';
import { MaintenanceActions, parseOptInType } from './maintenance.js';
import type { ResourcePendingMaintenanceActions } from '../model/pending-maintenance.js';
import { InstanceRuntime } from './instance-runtime.js';
import { DEFAULT_PARAMETER_GROUP, PARAMETER_DEFS, PARAMETER_FAMILY, describeParameters, effectiveParameters, parameterDef } from './parameters.js';
import type { ControlPlane } from './control-plane.js';
import type { CaCertificate } from '../model/ca-certificate.js';
import type { DbEvent } from '../model/db-event.js';
import type { DbInstance, InstanceStatus } from '../model/db-instance.js';
import type { CreateDbInstanceInput, DeleteDbInstanceInput, ModifyDbInstanceInput } from '../model/db-instance-requests.js';
import type { DbParameterGroup } from '../model/db-parameter-group.js';
import type { EngineVersion } from '../model/engine-version.js';
import type { Filter } from '../model/filter.js';
import type { Parameter, ParameterChange, ParameterSource } from '../model/parameter.js';
import type { Tag } from '../model/tag.js';
import { validateInstanceIdentifier, validateMaintenanceWindow, validateMasterPassword, validateMasterUsername, validatePort } from './validation.js';

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

const HOSTED_ZONE_ID = 'Z2R2ITUGPM61AM';
const DEFAULT_INSTANCE_CLASS = 'db.t3.micro';

/**
 * The control plane: validates requests, records desired state, and drives the runtime.
 * Operations on one instance are serialised; long work (provisioning) runs after the call
 * returns, with the status visible to Describe while it happens, as in RDS.
 */
export class TlsqlControlPlane implements ControlPlane {
  readonly region: string;
  readonly accountId: string;
  readonly runtime: InstanceRuntime;
  /** IAM users, access keys and policies (IAM database authentication). */
  readonly iam: IamDirectory;
  readonly events: EventRecorder;
  /** Allow-lists (DB security groups), connection list, client certificates and trusted client CAs. */
  readonly connectionSecurity: ConnectionSecurity;
  /** Certificate rotation, renewal and expiry notices (issue 6). */
  readonly certificates: CertificateLifecycle;
  readonly maintenance: MaintenanceActions;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly log: Logger;

  constructor(private readonly d: ControlPlaneDeps) {
    this.region = d.config.region;
    this.accountId = d.accountId;
    this.log = d.logger;
    this.events = new EventRecorder(d.store, d.clock, d.logger);
    this.connectionSecurity = new ConnectionSecurity({ ...d, doors: () => this.runtime.doors });
    this.iam = new IamDirectory({ store: d.store, masterKey: d.masterKey, accountId: d.accountId, clock: d.clock });
    this.runtime = new InstanceRuntime({ ...d, parameters: (inst) => this.effectiveParameters(inst.parameterGroup.name), security: this.connectionSecurity, iam: { identity: this.iam, accountId: d.accountId } });
    this.certificates = new CertificateLifecycle({ ...d, runtime: this.runtime, events: this.events });
    this.maintenance = new MaintenanceActions({ store: d.store, lifecycle: this.certificates, events: this.events, clock: d.clock });
    d.store.insertParameterGroup({ name: DEFAULT_PARAMETER_GROUP, family: PARAMETER_FAMILY, description: `Default parameter group for ${PARAMETER_FAMILY}`, createdAt: d.clock.now() });
    d.engine.on('state', (e) => this.onEngineState(e.id, e.state, e.reason));
  }

  // --- lifecycle -------------------------------------------------------------------------

  /** Makes reality match the store after a (re)start: instances come back exactly as they were. */
  async reconcile(): Promise<void> {
    for (const inst of this.d.store.listInstances()) {
      try {
        switch (inst.status) {
          case 'creating':
            // The master password is never stored, so an interrupted creation cannot be resumed.
            await this.runtime.destroy(inst.id).catch(() => {});
            this.setStatus(inst, 'failed');
            this.instanceEvent(inst, 'DB instance creation was interrupted by a tlsql restart; delete it and create it again', ['failure']);
            break;
          case 'deleting':
            await this.finishDelete(inst);
            break;
          case 'stopped':
          case 'failed':
            break;
          case 'stopping':
            await this.d.engine.stop(inst.id).catch(() => {});
            this.setStatus(inst, 'stopped');
            break;
          default:
            await this.runtime.activate(inst);
            this.setStatus(inst, 'available');
        }
      } catch (e) {
        this.log.error('reconcile failed', { instance: inst.id, err: e as Error });
        this.setStatus(inst, 'failed');
        this.instanceEvent(inst, `DB instance could not be started: ${(e as Error).message}`, ['failure']);
      }
    }
  }

  /** Waits for background work (provisioning, deletes) to settle; for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.background.size) await Promise.allSettled([...this.background]);
  }

  async shutdown(): Promise<void> {
    await this.certificates.stopPreparing();
    await this.idle();
    await this.runtime.shutdown();
  }

  // --- DB instances ----------------------------------------------------------------------

  async createDbInstance(input: CreateDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    if (input.engine === undefined || input.engine === '') throw new AppError('MissingParameter', 'The request must contain the parameter Engine');
    if (input.engine !== 'mariadb') {
      throw new AppError('InvalidParameterValue', `Invalid DB engine: ${input.engine}. tlsql runs MariaDB engines: use --engine mariadb.`);
    }
    const engineVersion = this.resolveEngineVersion(input.engineVersion);
    const masterUsername = validateMasterUsername(input.masterUsername);
    const masterUserPassword = validateMasterPassword(input.masterUserPassword);
    const ca = input.caCertificateIdentifier ?? this.defaultCa();
    if (!isCaFamilyId(ca)) throw new AppError('CertificateNotFound', `Certificate ${ca} not found. Valid identifiers: ${CA_FAMILIES.map((f) => f.id).join(', ')}.`);
    const groupName = input.dbParameterGroupName ?? DEFAULT_PARAMETER_GROUP;
    if (!this.d.store.getParameterGroup(groupName)) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${groupName}`);
    if (this.d.store.getInstance(id)) throw new AppError('DBInstanceAlreadyExists', `DB instance already exists`);
    const window = validateMaintenanceWindow(input.preferredMaintenanceWindow ?? 'sun:05:00-sun:05:30');
    if (input.dbName !== undefined && !/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(input.dbName)) {
      throw new AppError('InvalidParameterValue', 'The parameter DBName must begin with a letter and contain only letters, digits and underscores (1 to 64 characters).');
    }
    const requestedPort = validatePort(input.port);
    const securityGroups = this.connectionSecurity.validateSecurityGroupNames(input.dbSecurityGroups) ?? [];
    const storage = input.allocatedStorage ?? 20;
    if (!Number.isInteger(storage) || storage < 20 || storage > 65536) throw new AppError('InvalidParameterValue', 'Invalid storage size: AllocatedStorage must be an integer from 20 to 65536 (GiB).');

    for (let attempt = 0; attempt < 5; attempt++) {
      const port = requestedPort ?? (await this.freePort());
      if (requestedPort !== undefined) await this.assertPortFree(requestedPort);
      const inst: DbInstance = {
        id,
        resourceId: newResourceId(),
        arn: `arn:aws:rds:${this.region}:${this.accountId}:db:${id}`,
        region: this.region,
        engine: 'mariadb',
        engineVersion,
        instanceClass: input.dbInstanceClass ?? DEFAULT_INSTANCE_CLASS,
        status: 'creating',
        masterUsername,
        dbName: input.dbName ?? null,
        endpoint: { address: `${id}.${this.d.endpointSuffix}.${this.region}.${this.d.config.domain}`, port, hostedZoneId: HOSTED_ZONE_ID },
        allocatedStorageGiB: storage,
        createdAt: this.d.clock.now(),
        caCertificateIdentifier: ca,
        certificate: null,
        parameterGroup: { name: groupName, applyStatus: 'in-sync' },
        pendingModifiedValues: {},
        iamDatabaseAuthenticationEnabled: input.enableIAMDatabaseAuthentication ?? false,
        preferredMaintenanceWindow: window,
        preferredBackupWindow: '03:00-03:30',
        backupRetentionPeriod: 1,
        tags: validateTags(input.tags ?? []),
        insecureTlsAllowed: false,
        dbSecurityGroups: securityGroups,
      };
      inst.insecureTlsAllowed = this.runtime.policyFor(inst).insecure;
      if (!this.d.store.insertInstance(inst)) {
        if (this.d.store.getInstance(id)) throw new AppError('DBInstanceAlreadyExists', `DB instance already exists`);
        if (requestedPort !== undefined) throw new AppError('PortInUse', `Port ${requestedPort} is already used by another DB instance.`);
        continue; // lost a race for an automatically chosen port; pick the next one
      }
      this.instanceEvent(inst, 'DB instance creating', ['creation']);
      this.inBackground(this.withLock(id, () => this.provision(inst, masterUserPassword)));
      return inst;
    }
    throw new AppError('StorageQuotaExceeded', 'Could not allocate a port for the DB instance; configure a larger port range.');
  }

  private async provision(inst: DbInstance, masterUserPassword: string): Promise<void> {
    try {
      const cert = await this.runtime.issueServerCertificate(inst, inst.caCertificateIdentifier as CaFamilyId);
      inst.certificate = { caIdentifier: inst.caCertificateIdentifier, validTill: cert.notAfter };
      this.d.store.updateInstance(inst);
      this.instanceEvent(inst, `Server certificate issued by ${inst.caCertificateIdentifier} (serial ${cert.serialHex}, valid until ${cert.notAfter.toISOString()})`, ['security']);
      await this.runtime.provision(inst, masterUserPassword);
      if (inst.dbName) await this.d.engine.admin(inst.id, (c) => c.query(`CREATE DATABASE IF NOT EXISTS \`${inst.dbName}\``));
      this.setStatus(inst, 'available');
      this.instanceEvent(inst, 'DB instance created', ['creation']);
      this.certificates.prepareRotationsLater(inst.id);
    } catch (e) {
      this.log.error('provisioning failed', { instance: inst.id, err: e as Error });
      await this.runtime.destroy(inst.id).catch(() => {});
      this.setStatus(inst, 'failed');
      this.instanceEvent(inst, `DB instance creation failed: ${publicReason(e)}`, ['failure']);
    }
  }

  async describeDbInstances(q: { dbInstanceIdentifier?: string; filters?: Filter[]; afterId?: string; limit?: number }): Promise<DbInstance[]> {
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

  async modifyDbInstance(input: ModifyDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    // Validate everything before changing anything.
    const password = input.masterUserPassword !== undefined ? validateMasterPassword(input.masterUserPassword) : undefined;
    const ca = input.caCertificateIdentifier;
    if (ca !== undefined && !isCaFamilyId(ca)) throw new AppError('CertificateNotFound', `Certificate ${ca} not found.`);
    const group = input.dbParameterGroupName;
    if (group !== undefined && !this.d.store.getParameterGroup(group)) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${group}`);
    const window = input.preferredMaintenanceWindow !== undefined ? validateMaintenanceWindow(input.preferredMaintenanceWindow) : undefined;
    const securityGroups = this.connectionSecurity.validateSecurityGroupNames(input.dbSecurityGroups);
    return this.withLock(id, async () => {
      const inst = this.mustGet(id);
      this.assertStatus(inst, ['available'], 'modify');
      const changed = Object.entries({ MasterUserPassword: password, CACertificateIdentifier: ca, DBParameterGroupName: group, EnableIAMDatabaseAuthentication: input.enableIAMDatabaseAuthentication, PreferredMaintenanceWindow: window, DBSecurityGroups: securityGroups })
        .filter(([, v]) => v !== undefined)
        .map(([k]) => k);
      // Visible to Describe while the changes are applied, as RDS shows `modifying`.
      this.setStatus(inst, 'modifying');
      try {
        await this.applyModification(inst, input, { password, ca: ca as CaFamilyId | undefined, group, window, securityGroups });
      } finally {
        this.setStatus(inst, 'available');
      }
      if (changed.length) this.instanceEvent(inst, `DB instance modified: ${changed.join(', ')}${input.applyImmediately ? ' (applied immediately)' : ''}`, ['configuration change']);
      return inst;
    });
  }

  private async applyModification(
    inst: DbInstance,
    input: ModifyDbInstanceInput,
    v: { password: string | undefined; ca: CaFamilyId | undefined; group: string | undefined; window: string | undefined; securityGroups: ReturnType<ConnectionSecurity['validateSecurityGroupNames']> },
  ): Promise<void> {
    const { password, ca, group, window, securityGroups } = v;
    if (window) inst.preferredMaintenanceWindow = window;
    if (input.enableIAMDatabaseAuthentication !== undefined) {
      inst.iamDatabaseAuthenticationEnabled = input.enableIAMDatabaseAuthentication;
      // Live at once, as in RDS: the next login and the next account statement see it.
      this.runtime.doors.get(inst.id)?.opts.iam?.setEnabled(inst.iamDatabaseAuthenticationEnabled);
    }
    // The allow-list applies at once (no reboot), as security group changes do in RDS.
    if (securityGroups !== undefined) inst.dbSecurityGroups = securityGroups;
    if (group !== undefined && group !== inst.parameterGroup.name) {
      // A new group applies at the next reboot, as in RDS.
      inst.pendingModifiedValues.dbParameterGroupName = group;
      inst.parameterGroup = { name: group, applyStatus: 'pending-reboot' };
    }
    if (password !== undefined) {
      await this.d.engine.setMasterPassword(inst.id, inst.masterUsername, password);
      this.instanceEvent(inst, 'Reset master credentials', ['configuration change']);
    }
    // With ApplyImmediately, a CA change pending from an earlier request is applied too, as in RDS.
    const pendingCa = inst.pendingModifiedValues.caCertificateIdentifier;
    const targetCa = ca ?? (input.applyImmediately && pendingCa !== undefined && isCaFamilyId(pendingCa) ? pendingCa : undefined);
    if (targetCa !== undefined && targetCa !== inst.caCertificateIdentifier) {
      if (input.applyImmediately) {
        await this.rotateCa(inst, targetCa);
      } else if (targetCa !== pendingCa) {
        inst.pendingModifiedValues.caCertificateIdentifier = targetCa;
        this.maintenance.scheduled(inst, targetCa);
      }
    } else if (targetCa !== undefined && pendingCa !== undefined) {
      // Asking for the CA in use withdraws a pending rotation.
      delete inst.pendingModifiedValues.caCertificateIdentifier;
      this.maintenance.cancelled(inst, pendingCa);
    }
    this.d.store.updateInstance(inst);
    if (securityGroups !== undefined) this.connectionSecurity.invalidateAllowLists();
  }

  /**
   * Swaps the endpoint to a new certificate from another CA family, verified by a real handshake
   * before the old one is forgotten; sessions continue (certificate-lifecycle.ts).
   */
  private async rotateCa(inst: DbInstance, ca: CaFamilyId): Promise<void> {
    await this.certificates.rotateCa(inst, ca, 'ModifyDBInstance with ApplyImmediately');
  }

  // --- pending maintenance and certificate upkeep (issue 6) ------------------------------

  async describePendingMaintenanceActions(q: { resourceIdentifier?: string; filters?: Filter[] }): Promise<ResourcePendingMaintenanceActions[]> {
    return this.maintenance.describe(this.d.store.listInstances(), q);
  }

  async applyPendingMaintenanceAction(q: { resourceIdentifier?: string; applyAction?: string; optInType?: string }): Promise<ResourcePendingMaintenanceActions> {
    if (!q.resourceIdentifier) throw new AppError('MissingParameter', 'The request must contain the parameter ResourceIdentifier');
    if (!q.applyAction) throw new AppError('MissingParameter', 'The request must contain the parameter ApplyAction');
    const optIn = parseOptInType(q.optInType);
    const ref = q.resourceIdentifier;
    const found = this.d.store.listInstances().find((i) => i.arn === ref || i.id === ref.toLowerCase());
    if (!found) throw new AppError('ResourceNotFoundFault', `The specified resource ARN was not found: ${ref}`);
    return this.withLock(found.id, async () => this.maintenance.apply(this.mustGet(found.id), q.applyAction!, optIn));
  }

  /**
   * Issues up to `limit` of an available instance's missing prepared rotation certificates
   * (certificate-lifecycle.ts); 0 for other statuses or while background preparations are queued.
   * Never throws.
   */
  async prepareCertificateRotations(id: string, limit: number): Promise<number> {
    try {
      // Background preparations (after creations and rotations) are queued: a pass never waits
      // behind them, it tops up on a later pass instead.
      if (this.certificates.preparationBusy()) return 0;
      const inst = this.d.store.getInstance(id);
      return inst?.status === 'available' ? await this.certificates.prepareRotations(id, limit) : 0;
    } catch (e) {
      this.log.warn('could not prepare certificates for CA rotations', { instance: id, err: e as Error });
      return 0;
    }
  }

  /** One scheduler pass over an instance's certificates, serialised with API operations on it. */
  maintainCertificates(id: string): Promise<MaintenanceOutcome> {
    return this.withLock(id, async () => {
      const inst = this.d.store.getInstance(id);
      return inst ? this.certificates.maintain(inst) : { instanceId: id, skipped: 'deleted', failures: [], notices: [] };
    });
  }

  async deleteDbInstance(input: DeleteDbInstanceInput): Promise<DbInstance> {
    const id = validateInstanceIdentifier(input.dbInstanceIdentifier);
    if (!input.skipFinalSnapshot && !input.finalDBSnapshotIdentifier) {
      // tlsql has no snapshots; RDS requires one of the two, so keep the same contract.
      throw new AppError('InvalidParameterCombination', 'FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified (tlsql does not take snapshots: use --skip-final-snapshot).');
    }
    if (input.finalDBSnapshotIdentifier) throw new AppError('InvalidParameterValue', 'tlsql does not support snapshots: use --skip-final-snapshot.');
    return this.withLock(id, async () => {
      const inst = this.mustGet(id);
      this.assertStatus(inst, ['available', 'stopped', 'failed', 'incompatible-parameters'], 'delete');
      this.setStatus(inst, 'deleting');
      this.instanceEvent(inst, 'DB instance deleting', ['deletion']);
      const snapshot = structuredClone(inst);
      this.inBackground(this.withLock(id, () => this.finishDelete(inst)));
      return snapshot;
    });
  }

  private async finishDelete(inst: DbInstance): Promise<void> {
    await this.runtime.destroy(inst.id);
    this.d.store.deleteInstance(inst.id);
    this.connectionSecurity.forgetInstance(inst);
    this.instanceEvent(inst, 'DB instance deleted', ['deletion']);
  }

  async rebootDbInstance(q: { dbInstanceIdentifier: string; forceFailover?: boolean }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    if (q.forceFailover) throw new AppError('InvalidParameterCombination', 'ForceFailover requires a Multi-AZ DB instance.');
    return this.transition(id, ['available'], 'reboot', 'rebooting', 'available', async (inst) => {
      await this.runtime.closeDoor(inst.id);
      await this.d.engine.stop(inst.id);
      this.applyPendingOnReboot(inst);
      await this.runtime.activate(inst);
      this.instanceEvent(inst, 'DB instance restarted', ['availability']);
    });
  }

  async stopDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    return this.transition(id, ['available'], 'stop', 'stopping', 'stopped', async (inst) => {
      await this.runtime.deactivate(inst.id);
      this.instanceEvent(inst, 'DB instance stopped', ['notification']);
    });
  }

  async startDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    const id = validateInstanceIdentifier(q.dbInstanceIdentifier);
    return this.transition(id, ['stopped'], 'start', 'starting', 'available', async (inst) => {
      this.applyPendingOnReboot(inst);
      await this.runtime.activate(inst);
      this.instanceEvent(inst, 'DB instance started', ['notification']);
    });
  }

  /** Static parameters and a new parameter group take effect on a restart. */
  private applyPendingOnReboot(inst: DbInstance): void {
    delete inst.pendingModifiedValues.dbParameterGroupName;
    inst.parameterGroup = { name: inst.parameterGroup.name, applyStatus: 'in-sync' };
    inst.insecureTlsAllowed = this.runtime.policyFor(inst).insecure;
    this.d.store.updateInstance(inst);
  }

  /** Status change visible at once; the work runs in the background; failure -> 'failed' + event. */
  private async transition(
    id: string,
    from: InstanceStatus[],
    action: string,
    during: InstanceStatus,
    after: InstanceStatus,
    work: (inst: DbInstance) => Promise<void>,
  ): Promise<DbInstance> {
    return this.withLock(id, async () => {
      const inst = this.mustGet(id);
      this.assertStatus(inst, from, action);
      this.setStatus(inst, during);
      const snapshot = structuredClone(inst);
      this.inBackground(
        this.withLock(id, async () => {
          try {
            await work(inst);
            this.setStatus(inst, after);
          } catch (e) {
            this.log.error(`${action} failed`, { instance: id, err: e as Error });
            this.setStatus(inst, 'failed');
            this.instanceEvent(inst, `DB instance ${action} failed: ${publicReason(e)}`, ['failure']);
          }
        }),
      );
      return snapshot;
    });
  }

  // --- certificates ----------------------------------------------------------------------

  defaultCa(): CaFamilyId {
    const o = this.d.store.getMeta('default_ca');
    return o && isCaFamilyId(o) ? o : DEFAULT_CA_FAMILY;
  }

  private caCertificate(id: CaFamilyId): CaCertificate {
    const r = this.d.ca.record(id, this.region);
    const override = this.d.store.getMeta('default_ca') === id;
    return {
      certificateIdentifier: id,
      certificateType: 'CA',
      thumbprint: r.thumbprintSha1,
      validFrom: r.notBefore,
      validTill: r.notAfter,
      certificateArn: `arn:aws:rds:${this.region}::cert:${id}`,
      customerOverride: override,
      customerOverrideValidTill: override ? r.notAfter : null,
    };
  }

  async describeCertificates(q: { certificateIdentifier?: string; filters?: Filter[] }) {
    let ids = CA_FAMILIES.map((f) => f.id);
    if (q.certificateIdentifier !== undefined) {
      if (!isCaFamilyId(q.certificateIdentifier)) throw new AppError('CertificateNotFound', `Certificate ${q.certificateIdentifier} not found.`);
      ids = [q.certificateIdentifier];
    }
    for (const f of q.filters ?? []) {
      if (f.name !== 'certificate-id') throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}. Supported: certificate-id.`);
      ids = ids.filter((i) => f.values.includes(i));
    }
    return { certificates: ids.map((i) => this.caCertificate(i)), defaultCertificateForNewLaunches: this.defaultCa() };
  }

  async modifyCertificates(q: { certificateIdentifier?: string; removeCustomerOverride?: boolean }): Promise<CaCertificate | null> {
    if (q.certificateIdentifier !== undefined && q.removeCustomerOverride) {
      throw new AppError('InvalidParameterCombination', 'Specify either CertificateIdentifier or RemoveCustomerOverride, not both.');
    }
    if (q.removeCustomerOverride) {
      const prev = this.d.store.getMeta('default_ca');
      this.d.store.setMeta('default_ca', '');
      return prev && isCaFamilyId(prev) ? this.caCertificate(prev) : null;
    }
    if (q.certificateIdentifier === undefined) throw new AppError('MissingParameter', 'The request must contain the parameter CertificateIdentifier or RemoveCustomerOverride');
    if (!isCaFamilyId(q.certificateIdentifier)) throw new AppError('CertificateNotFound', `Certificate ${q.certificateIdentifier} not found.`);
    this.d.store.setMeta('default_ca', q.certificateIdentifier);
    return this.caCertificate(q.certificateIdentifier);
  }

  // --- engine versions -------------------------------------------------------------------

  private resolveEngineVersion(v: string | undefined): string {
    const installed = this.d.engine.version;
    if (v === undefined || v === installed || installed.startsWith(`${v}.`)) return installed;
    throw new AppError('InvalidParameterValue', `Cannot find version ${v} for mariadb. Installed: ${installed}.`);
  }

  async describeDbEngineVersions(q: { engine?: string; engineVersion?: string; dbParameterGroupFamily?: string; defaultOnly?: boolean }): Promise<EngineVersion[]> {
    const v = this.d.engine.version;
    if (q.engine !== undefined && q.engine !== 'mariadb') return [];
    if (q.engineVersion !== undefined && q.engineVersion !== v && !v.startsWith(`${q.engineVersion}.`)) return [];
    if (q.dbParameterGroupFamily !== undefined && q.dbParameterGroupFamily !== PARAMETER_FAMILY) return [];
    return [
      {
        engine: 'mariadb',
        engineVersion: v,
        dbParameterGroupFamily: PARAMETER_FAMILY,
        dbEngineDescription: 'MariaDB Community Edition',
        dbEngineVersionDescription: `MariaDB ${v}`,
        supportedCACertificateIdentifiers: CA_FAMILIES.map((f) => f.id),
        supportsCertificateRotationWithoutRestart: true,
        defaultCertificateForNewLaunches: this.defaultCa(),
      },
    ];
  }

  // --- parameter groups ------------------------------------------------------------------

  effectiveParameters(group: string): Map<string, string | null> {
    return effectiveParameters(this.d.store.getParameters(group));
  }

  private groupArn(name: string): string {
    return `arn:aws:rds:${this.region}:${this.accountId}:pg:${name}`;
  }

  private mustGetGroup(name: string | undefined): { name: string; family: string; description: string } {
    if (!name) throw new AppError('MissingParameter', 'The request must contain the parameter DBParameterGroupName');
    const g = this.d.store.getParameterGroup(name);
    if (!g) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`);
    return g;
  }

  async createDbParameterGroup(q: { name: string; family: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    if (!q.name) throw new AppError('MissingParameter', 'The request must contain the parameter DBParameterGroupName');
    if (!/^[A-Za-z][A-Za-z0-9-]{0,254}$/.test(q.name) || q.name.endsWith('-') || q.name.includes('--')) {
      throw new AppError('InvalidParameterValue', 'The parameter DBParameterGroupName is not a valid identifier: it must begin with a letter, contain only letters, digits and hyphens, and not end with a hyphen or contain two consecutive hyphens.');
    }
    if (q.family !== PARAMETER_FAMILY) throw new AppError('InvalidParameterValue', `ParameterGroupFamily ${q.family} is not supported. Supported: ${PARAMETER_FAMILY}.`);
    if (!q.description) throw new AppError('MissingParameter', 'The request must contain the parameter Description');
    const name = q.name.toLowerCase();
    if (!this.d.store.insertParameterGroup({ name, family: q.family, description: q.description, createdAt: this.d.clock.now() })) {
      throw new AppError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
    }
    return { name, family: q.family, description: q.description, arn: this.groupArn(name) };
  }

  async describeDbParameterGroups(q: { name?: string }): Promise<DbParameterGroup[]> {
    const groups = q.name !== undefined ? [this.mustGetGroup(q.name)] : this.d.store.listParameterGroups();
    return groups.map((g) => ({ ...g, arn: this.groupArn(g.name) }));
  }

  async deleteDbParameterGroup(q: { name: string }): Promise<void> {
    const g = this.mustGetGroup(q.name);
    if (g.name === DEFAULT_PARAMETER_GROUP) throw new AppError('InvalidParameterValue', 'Default parameter groups cannot be deleted.');
    const users = this.d.store.listInstances().filter((i) => i.parameterGroup.name === g.name);
    if (users.length) throw new AppError('InvalidDBParameterGroupState', `One or more DB instances are still members of this parameter group ${g.name}: ${users.map((i) => i.id).join(', ')}`);
    this.d.store.deleteParameterGroup(g.name);
  }

  private validateChanges(changes: ParameterChange[]): { name: string; value: string | null }[] {
    if (changes.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter Parameters');
    if (changes.length > 20) throw new AppError('InvalidParameterValue', 'At most 20 parameters can be modified in one request.');
    return changes.map((c) => {
      const def = parameterDef(c.name);
      if (def.applyType === 'static' && c.applyMethod === 'immediate') {
        throw new AppError('InvalidParameterCombination', `cannot use immediate apply method for static parameter ${c.name}`);
      }
      return { name: c.name, value: c.value === null ? null : def.normalise(c.value) };
    });
  }

  async modifyDbParameterGroup(q: { name: string; parameters: ParameterChange[] }): Promise<string> {
    const g = this.mustGetGroup(q.name);
    if (g.name === DEFAULT_PARAMETER_GROUP) throw new AppError('InvalidParameterValue', `The parameter group ${g.name} is a default group and cannot be modified; create your own group.`);
    const values = this.validateChanges(q.parameters);
    this.d.store.setParameters(g.name, values);
    this.afterParameterChange(g.name, values.map((v) => v.name));
    return g.name;
  }

  async resetDbParameterGroup(q: { name: string; resetAll?: boolean; parameters?: ParameterChange[] }): Promise<string> {
    const g = this.mustGetGroup(q.name);
    if (q.resetAll && q.parameters?.length) throw new AppError('InvalidParameterCombination', 'Specify either ResetAllParameters or Parameters, not both.');
    if (!q.resetAll && !q.parameters?.length) throw new AppError('MissingParameter', 'The request must contain ResetAllParameters or Parameters');
    const names = q.resetAll ? PARAMETER_DEFS.map((p) => p.name) : q.parameters!.map((p) => parameterDef(p.name).name);
    this.d.store.resetParameters(g.name, q.resetAll ? 'all' : names);
    this.afterParameterChange(g.name, names);
    return g.name;
  }

  /** Dynamic parameters are live at once (read per login); static ones mark members pending-reboot. */
  private afterParameterChange(group: string, names: string[]): void {
    const hasStatic = names.some((n) => parameterDef(n).applyType === 'static');
    for (const inst of this.d.store.listInstances().filter((i) => i.parameterGroup.name === group)) {
      if (hasStatic) {
        inst.parameterGroup = { name: group, applyStatus: 'pending-reboot' };
        this.d.store.updateInstance(inst);
      }
      if (names.includes('max_connections') && this.runtime.doors.has(inst.id)) {
        const v = this.effectiveParameters(group).get('max_connections');
        this.d.engine.admin(inst.id, (c) => c.query('SET GLOBAL max_connections = ?', [Number(v)])).catch((e) => this.log.warn('applying max_connections failed', { instance: inst.id, err: e as Error }));
      }
    }
  }

  async describeDbParameters(q: { name: string; source?: ParameterSource }): Promise<Parameter[]> {
    const g = this.mustGetGroup(q.name);
    const params = describeParameters(this.d.store.getParameters(g.name), g.name === DEFAULT_PARAMETER_GROUP);
    return q.source ? params.filter((p) => p.source === q.source) : params;
  }

  // --- events ----------------------------------------------------------------------------

  async describeEvents(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): Promise<DbEvent[]> {
    const now = this.d.clock.now();
    const end = q.endTime ?? now;
    const start = q.startTime ?? new Date(end.getTime() - (q.durationMinutes ?? 60) * 60_000);
    const events = this.d.store.listEvents({ sourceIdentifier: q.sourceIdentifier?.toLowerCase(), sourceType: q.sourceType, start, end });
    return q.eventCategories?.length ? events.filter((e) => e.eventCategories.some((c) => q.eventCategories!.includes(c))) : events;
  }

  // --- supervision -----------------------------------------------------------------------

  private onEngineState(id: string, state: string, reason?: string): void {
    const inst = this.d.store.getInstance(id);
    if (!inst) return;
    if (state === 'crashed' && inst.status === 'available') {
      this.setStatus(inst, 'rebooting');
      this.instanceEvent(inst, `DB instance shutdown unexpectedly${reason ? ` (${reason})` : ''}; restarting the engine`, ['failure', 'availability']);
    } else if (state === 'running' && inst.status === 'rebooting' && !this.locks.has(id)) {
      this.setStatus(inst, 'available');
      this.instanceEvent(inst, 'DB instance restarted after an engine failure; data recovered', ['availability']);
    }
  }

  // --- helpers ---------------------------------------------------------------------------

  private mustGet(id: string): DbInstance {
    const inst = this.d.store.getInstance(id);
    if (!inst) throw notFound(id);
    return inst;
  }

  private assertStatus(inst: DbInstance, allowed: InstanceStatus[], action: string): void {
    if (!allowed.includes(inst.status)) {
      throw new AppError('InvalidDBInstanceState', `Cannot ${action} DB instance ${inst.id}: its status is ${inst.status} (must be ${allowed.join(' or ')}).`);
    }
  }

  private setStatus(inst: DbInstance, status: InstanceStatus): void {
    inst.status = status;
    if (this.d.store.getInstance(inst.id)) this.d.store.updateInstance(inst);
  }

  private instanceEvent(inst: DbInstance, message: string, categories: string[]): void {
    this.events.record({ sourceIdentifier: inst.id, sourceType: 'db-instance', message, eventCategories: categories, sourceArn: inst.arn });
  }

  /** Serialises operations per instance. */
  private withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  private inBackground(p: Promise<unknown>): void {
    const t = p.catch((e) => this.log.error('background operation failed', { err: e as Error }));
    this.background.add(t);
    void t.finally(() => this.background.delete(t));
  }

  private async freePort(): Promise<number> {
    const used = this.d.store.usedPorts();
    for (let p = this.d.config.firstPort; p <= this.d.config.lastPort; p++) {
      if (used.has(p)) continue;
      if (await portFree(p, this.d.config.listenAddresses)) return p;
    }
    throw new AppError('StorageQuotaExceeded', `No free port between ${this.d.config.firstPort} and ${this.d.config.lastPort} for a new DB instance.`);
  }

  private async assertPortFree(port: number): Promise<void> {
    if (this.d.store.usedPorts().has(port) || !(await portFree(port, this.d.config.listenAddresses))) {
      throw new AppError('PortInUse', `Port ${port} is already in use on ${this.d.config.listenAddresses.join(', ')}; choose another --port or omit it.`);
    }
  }
}

function notFound(id: string): AppError {
  return new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
}

function validateTags(tags: Tag[]): Tag[] {
  if (tags.length > 50) throw new AppError('InvalidParameterValue', 'At most 50 tags are allowed.');
  for (const t of tags) {
    if (!t.key || t.key.length > 128 || t.key.startsWith('aws:')) throw new AppError('InvalidParameterValue', `Invalid tag key: ${t.key}`);
    if (t.value.length > 256) throw new AppError('InvalidParameterValue', `Invalid tag value for key ${t.key}: at most 256 characters.`);
  }
  return tags;
}

/** A failure reason safe to show to API callers: AppError messages that are exposable, else generic. */
function publicReason(e: unknown): string {
  if (e instanceof AppError && e.expose) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the endpoint port is in use';
  return 'internal error (see the tlsql server log)';
}

/** True when nothing listens on `port` at any of `addresses`. */
export async function portFree(port: number, addresses: readonly string[]): Promise<boolean> {
  for (const host of addresses) {
    const free = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRNOTAVAIL' || e.code === 'EAFNOSUPPORT'));
      s.listen({ host, port, ipv6Only: true, exclusive: true }, () => s.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}
