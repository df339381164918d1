/**
 * An in-memory ControlPlane for protocol tests of the API (and anything else that needs a
 * control plane without engines, certificates or a database). It behaves like the real one at
 * the level a protocol test can see: identifiers are lower-cased, unknown names raise the RDS
 * faults (DBInstanceNotFound, CertificateNotFound, ...), state transitions are checked. Every call
 * is recorded in `calls` so tests can assert what the API decoded.
 */
import type { ControlPlane } from '../../src/control/control-plane.js';
import type { CaCertificate } from '../../src/model/ca-certificate.js';
import type { DbEvent } from '../../src/model/db-event.js';
import type { DbInstance } from '../../src/model/db-instance.js';
import type { CreateDbInstanceInput, CreateDbInstanceReadReplicaInput, DeleteDbInstanceInput, ModifyDbInstanceInput } from '../../src/model/db-instance-requests.js';
import type { DbParameterGroup } from '../../src/model/db-parameter-group.js';
import type { EngineVersion } from '../../src/model/engine-version.js';
import type { Filter } from '../../src/model/filter.js';
import type { Parameter, ParameterChange, ParameterSource } from '../../src/model/parameter.js';
import type { PendingMaintenanceAction, ResourcePendingMaintenanceActions } from '../../src/model/pending-maintenance.js';
import { CA_ROTATION_ACTION } from '../../src/control/certificate-lifecycle.js';
import { parseOptInType } from '../../src/control/maintenance.js';
import { currentOrNextWindowStart } from '../../src/control/maintenance-window.js';
import type { Tag } from '../../src/model/tag.js';
import type { ConnectionSecurityControl } from '../../src/control/connection-security-control.js';
import { AppError } from '../../src/errors/app-error.js';
import type { IamControl } from '../../src/iam/iam-control.js';
import type { InfrastructureControl } from '../../src/control/infrastructure-control.js';
import { systemClock, type Clock } from '../../src/lib/clock.js';

const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const dayMs = 86_400_000;

export interface FakeCall {
  method: keyof ControlPlane;
  args: unknown;
}

interface GroupState {
  group: DbParameterGroup;
  parameters: Map<string, Parameter>;
}

function defaultParameters(): Parameter[] {
  const p = (name: string, value: string | null, applyType: 'static' | 'dynamic', dataType: Parameter['dataType'], allowedValues: string, description: string): Parameter => ({
    name,
    value,
    description,
    source: 'engine-default',
    applyType,
    dataType,
    allowedValues,
    isModifiable: true,
    minimumEngineVersion: '10.6',
  });
  return [
    p('require_secure_transport', '0', 'dynamic', 'boolean', '0,1', 'Whether client connections must use TLS.'),
    p('tls_version', 'TLSv1.2,TLSv1.3', 'static', 'string', 'TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3', 'TLS versions the server accepts.'),
    p('max_connections', null, 'dynamic', 'integer', '1-100000', 'Maximum simultaneous client connections.'),
    p('character_set_server', null, 'dynamic', 'string', '', 'The server character set.'),
  ];
}

/**
 * A sub-service this fake does not model: every method refuses with InvalidAction, as a server
 * without that service would. (Not thenable, so awaiting or printing it is harmless.)
 */
function unavailable<T extends object>(service: string): T {
  return new Proxy({} as T, {
    get: (_target, method) =>
      typeof method === 'symbol' || method === 'then' || method === 'toJSON'
        ? undefined
        : () => {
            throw new AppError('InvalidAction', `The ${service} action ${method} is not available on this server.`);
          },
  });
}

export class FakeControlPlane implements ControlPlane {
  readonly region: string;
  readonly accountId = '123456789012';
  /** Not modelled: DB security groups, connections and client certificates answer InvalidAction. */
  readonly connectionSecurity = unavailable<ConnectionSecurityControl>('connection security');
  /** Not modelled: IAM users, keys and policies answer InvalidAction. */
  readonly iam = unavailable<IamControl>('IAM');
  readonly infrastructure = unavailable<InfrastructureControl>('infrastructure');
  /** Every call in order, with its (decoded) argument. */
  readonly calls: FakeCall[] = [];
  /** When set, the next call throws it (then it is cleared). For error-mapping tests. */
  failNext: unknown = undefined;

  private readonly clock: Clock;
  private readonly instances = new Map<string, DbInstance>();
  private readonly groups = new Map<string, GroupState>();
  private readonly events: DbEvent[] = [];
  private readonly certificates: CaCertificate[];
  /** Opt-in of an instance's pending CA rotation; absent means `next-maintenance`, as in the real one. */
  private readonly optIns = new Map<string, 'next-maintenance' | 'undo-opt-in'>();
  private defaultCa = 'tlsql-ca-rsa2048-g1';
  private overrideCa: string | null = null;
  private serial = 0;

  constructor(opts: { region?: string; clock?: Clock } = {}) {
    this.region = opts.region ?? 'us-east-1';
    this.clock = opts.clock ?? systemClock;
    const from = new Date(Date.UTC(2026, 0, 1));
    const cert = (id: string, years: number, thumb: string): CaCertificate => ({
      certificateIdentifier: id,
      certificateType: 'CA',
      thumbprint: thumb,
      validFrom: from,
      validTill: new Date(Date.UTC(2026 + years, 0, 1)),
      certificateArn: `arn:aws:rds:${this.region}::cert:${id}`,
      customerOverride: false,
      customerOverrideValidTill: null,
    });
    this.certificates = [
      cert('tlsql-ca-rsa2048-g1', 40, 'a'.repeat(40)),
      cert('tlsql-ca-rsa4096-g1', 100, 'b'.repeat(40)),
      cert('tlsql-ca-ecc384-g1', 100, 'c'.repeat(40)),
    ];
    this.groups.set('default.mariadb10.11', {
      group: this.groupRecord('default.mariadb10.11', 'mariadb10.11', 'Default parameter group for mariadb10.11'),
      parameters: new Map(defaultParameters().map((p) => [p.name, p])),
    });
  }

  // ---- test hooks -------------------------------------------------------------------------

  /** Calls made to `method`, newest last. */
  callsTo(method: keyof ControlPlane): unknown[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Adds an event directly (as the reconciler would). */
  addEvent(e: Omit<DbEvent, 'sourceArn'> & { sourceArn?: string }): void {
    this.events.push({ sourceArn: `arn:aws:rds:${this.region}:${this.accountId}:db:${e.sourceIdentifier}`, ...e });
  }

  private record(method: keyof ControlPlane, args: unknown): void {
    this.calls.push({ method, args: structuredClone(args) });
    if (this.failNext !== undefined) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
  }

  // ---- DB instances -----------------------------------------------------------------------

  async createDbInstance(input: CreateDbInstanceInput): Promise<DbInstance> {
    this.record('createDbInstance', input);
    const id = input.dbInstanceIdentifier.toLowerCase();
    if (!/^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/.test(id)) {
      throw new AppError('InvalidParameterValue', 'The parameter DBInstanceIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens.');
    }
    if (this.instances.has(id)) throw new AppError('DBInstanceAlreadyExists', 'DB instance already exists');
    if (input.engine !== 'mariadb') throw new AppError('InvalidParameterValue', `Invalid DB engine: ${input.engine}`);
    const ca = input.caCertificateIdentifier ?? this.overrideCa ?? this.defaultCa;
    this.requireCertificate(ca);
    const groupName = input.dbParameterGroupName ?? 'default.mariadb10.11';
    this.requireGroup(groupName);
    if (input.masterUserPassword !== undefined && input.masterUserPassword.length < 8) {
      throw new AppError('InvalidParameterValue', 'The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters.');
    }
    const now = this.clock.now();
    const n = ++this.serial;
    const resourceId = 'db-' + Array.from({ length: 26 }, (_, i) => base32[(n * 7 + i * 13) % 32]).join('');
    const db: DbInstance = {
      id,
      resourceId,
      arn: `arn:aws:rds:${this.region}:${this.accountId}:db:${id}`,
      region: this.region,
      engine: 'mariadb',
      engineVersion: input.engineVersion ?? '10.11.9',
      instanceClass: input.dbInstanceClass ?? 'db.t3.micro',
      status: 'available',
      masterUsername: input.masterUsername ?? 'admin',
      dbName: input.dbName ?? null,
      endpoint: { address: `${id}.c0ffee123456.${this.region}.rds.amazonaws.com`, port: input.port ?? 3306, hostedZoneId: 'Z2R2ITUGPM61AM' },
      allocatedStorageGiB: input.allocatedStorage ?? 20,
      createdAt: now,
      caCertificateIdentifier: ca,
      certificate: { caIdentifier: ca, validTill: new Date(now.getTime() + 365 * dayMs) },
      parameterGroup: { name: groupName, applyStatus: 'in-sync' },
      pendingModifiedValues: {},
      iamDatabaseAuthenticationEnabled: input.enableIAMDatabaseAuthentication ?? false,
      preferredMaintenanceWindow: input.preferredMaintenanceWindow ?? 'sun:05:00-sun:05:30',
      preferredBackupWindow: '03:00-03:30',
      backupRetentionPeriod: 1,
      tags: (input.tags ?? []).map((t: Tag) => ({ ...t })),
      insecureTlsAllowed: false,
    };
    this.instances.set(id, db);
    this.addEvent({ sourceIdentifier: id, sourceType: 'db-instance', message: 'DB instance created', eventCategories: ['creation'], date: now });
    return structuredClone(db);
  }

  async describeDbInstances(q: { dbInstanceIdentifier?: string; filters?: Filter[]; afterId?: string; limit?: number }): Promise<DbInstance[]> {
    this.record('describeDbInstances', q);
    let list = [...this.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (q.dbInstanceIdentifier !== undefined) {
      const db = this.instances.get(q.dbInstanceIdentifier.toLowerCase());
      if (!db) throw this.notFound(q.dbInstanceIdentifier);
      list = [db];
    }
    for (const f of q.filters ?? []) {
      if (f.name === 'db-instance-id') list = list.filter((d) => f.values.includes(d.id) || f.values.includes(d.arn));
      else if (f.name === 'engine') list = list.filter((d) => f.values.includes(d.engine));
      else throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}.`);
    }
    if (q.afterId !== undefined) list = list.filter((d) => d.id > q.afterId!);
    if (q.limit !== undefined) list = list.slice(0, q.limit);
    return list.map((d) => structuredClone(d));
  }

  async modifyDbInstance(input: ModifyDbInstanceInput): Promise<DbInstance> {
    this.record('modifyDbInstance', input);
    const db = this.requireInstance(input.dbInstanceIdentifier);
    if (db.status !== 'available') throw this.badState(db);
    if (input.caCertificateIdentifier !== undefined) {
      this.requireCertificate(input.caCertificateIdentifier);
      if (input.applyImmediately) {
        this.rotateCa(db, input.caCertificateIdentifier);
      } else if (input.caCertificateIdentifier === db.caCertificateIdentifier) {
        // Back to the CA in use: the pending rotation is withdrawn (control/maintenance.ts `cancelled`).
        delete db.pendingModifiedValues.caCertificateIdentifier;
        this.optIns.delete(db.id);
      } else {
        db.pendingModifiedValues.caCertificateIdentifier = input.caCertificateIdentifier;
        this.optIns.delete(db.id);
      }
    }
    if (input.masterUserPassword !== undefined) db.pendingModifiedValues.masterUserPassword = true;
    if (input.dbParameterGroupName !== undefined) {
      this.requireGroup(input.dbParameterGroupName);
      db.parameterGroup = { name: input.dbParameterGroupName, applyStatus: 'pending-reboot' };
    }
    if (input.enableIAMDatabaseAuthentication !== undefined) db.iamDatabaseAuthenticationEnabled = input.enableIAMDatabaseAuthentication;
    if (input.preferredMaintenanceWindow !== undefined) db.preferredMaintenanceWindow = input.preferredMaintenanceWindow;
    return structuredClone(db);
  }

  async deleteDbInstance(input: DeleteDbInstanceInput): Promise<DbInstance> {
    this.record('deleteDbInstance', input);
    const db = this.requireInstance(input.dbInstanceIdentifier);
    this.instances.delete(db.id);
    return { ...structuredClone(db), status: 'deleting' };
  }

  async rebootDbInstance(q: { dbInstanceIdentifier: string; forceFailover?: boolean }): Promise<DbInstance> {
    this.record('rebootDbInstance', q);
    const db = this.requireInstance(q.dbInstanceIdentifier);
    if (db.status !== 'available') throw this.badState(db);
    if (db.parameterGroup.applyStatus === 'pending-reboot') db.parameterGroup.applyStatus = 'in-sync';
    return { ...structuredClone(db), status: 'rebooting' };
  }

  async stopDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    this.record('stopDbInstance', q);
    const db = this.requireInstance(q.dbInstanceIdentifier);
    if (db.status !== 'available') throw this.badState(db);
    db.status = 'stopped';
    return { ...structuredClone(db), status: 'stopping' };
  }

  async createDbInstanceReadReplica(input: CreateDbInstanceReadReplicaInput): Promise<DbInstance> {
    this.record('createDbInstanceReadReplica', input);
    const src = this.requireInstance(input.sourceDbInstanceIdentifier);
    if (src.status !== 'available') throw this.badState(src);
    const db: DbInstance = { ...structuredClone(src), id: input.dbInstanceIdentifier, status: 'creating', readReplicaSourceId: src.id };
    this.instances.set(db.id, db);
    return structuredClone(db);
  }

  async promoteReadReplica(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    this.record('promoteReadReplica', q);
    const db = this.requireInstance(q.dbInstanceIdentifier);
    if (db.readReplicaSourceId === undefined) throw new AppError('InvalidDBInstanceState', `DB Instance ${db.id} is not a read replica.`);
    delete db.readReplicaSourceId;
    return { ...structuredClone(db), status: 'modifying' };
  }

  async startDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance> {
    this.record('startDbInstance', q);
    const db = this.requireInstance(q.dbInstanceIdentifier);
    if (db.status !== 'stopped') throw this.badState(db);
    db.status = 'available';
    return { ...structuredClone(db), status: 'starting' };
  }

  // ---- certificates -----------------------------------------------------------------------

  async describeCertificates(q: { certificateIdentifier?: string; filters?: Filter[] }) {
    this.record('describeCertificates', q);
    let list = this.certificates;
    if (q.certificateIdentifier !== undefined) list = [this.requireCertificate(q.certificateIdentifier)];
    return { certificates: list.map((c) => structuredClone(c)), defaultCertificateForNewLaunches: this.overrideCa ?? this.defaultCa };
  }

  async modifyCertificates(q: { certificateIdentifier?: string; removeCustomerOverride?: boolean }): Promise<CaCertificate | null> {
    this.record('modifyCertificates', q);
    if (q.removeCustomerOverride) {
      const prev = this.overrideCa;
      this.overrideCa = null;
      for (const c of this.certificates) {
        c.customerOverride = false;
        c.customerOverrideValidTill = null;
      }
      return prev ? structuredClone(this.requireCertificate(prev)) : null;
    }
    if (q.certificateIdentifier === undefined) {
      throw new AppError('InvalidParameterCombination', 'You must specify either CertificateIdentifier or RemoveCustomerOverride.');
    }
    const cert = this.requireCertificate(q.certificateIdentifier);
    for (const c of this.certificates) {
      c.customerOverride = c === cert;
      c.customerOverrideValidTill = c === cert ? c.validTill : null;
    }
    this.overrideCa = cert.certificateIdentifier;
    return structuredClone(cert);
  }

  // ---- engine versions ----------------------------------------------------------------------

  async describeDbEngineVersions(q: { engine?: string; engineVersion?: string; dbParameterGroupFamily?: string; defaultOnly?: boolean }): Promise<EngineVersion[]> {
    this.record('describeDbEngineVersions', q);
    const v = (engineVersion: string, family: string): EngineVersion => ({
      engine: 'mariadb',
      engineVersion,
      dbParameterGroupFamily: family,
      dbEngineDescription: 'MariaDB Community Edition',
      dbEngineVersionDescription: `MariaDB ${engineVersion}`,
      supportedCACertificateIdentifiers: this.certificates.map((c) => c.certificateIdentifier),
      supportsCertificateRotationWithoutRestart: true,
      defaultCertificateForNewLaunches: this.defaultCa,
    });
    let list = [v('10.6.21', 'mariadb10.6'), v('10.11.9', 'mariadb10.11')];
    if (q.engine !== undefined) list = list.filter((e) => e.engine === q.engine);
    if (q.engineVersion !== undefined) list = list.filter((e) => e.engineVersion.startsWith(q.engineVersion ?? ''));
    if (q.dbParameterGroupFamily !== undefined) list = list.filter((e) => e.dbParameterGroupFamily === q.dbParameterGroupFamily);
    if (q.defaultOnly) list = list.slice(-1);
    return list;
  }

  // ---- parameter groups ---------------------------------------------------------------------

  async createDbParameterGroup(q: { name: string; family: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    this.record('createDbParameterGroup', q);
    const name = q.name.toLowerCase();
    if (this.groups.has(name)) throw new AppError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
    if (q.family !== 'mariadb10.11' && q.family !== 'mariadb10.6') throw new AppError('InvalidParameterValue', `Invalid DB parameter group family: ${q.family}`);
    const state: GroupState = { group: this.groupRecord(name, q.family, q.description), parameters: new Map(defaultParameters().map((p) => [p.name, p])) };
    this.groups.set(name, state);
    return structuredClone(state.group);
  }

  async describeDbParameterGroups(q: { name?: string }): Promise<DbParameterGroup[]> {
    this.record('describeDbParameterGroups', q);
    if (q.name !== undefined) return [structuredClone(this.requireGroup(q.name).group)];
    return [...this.groups.values()].map((g) => structuredClone(g.group));
  }

  async deleteDbParameterGroup(q: { name: string }): Promise<void> {
    this.record('deleteDbParameterGroup', q);
    const state = this.requireGroup(q.name);
    if (state.group.name.startsWith('default.')) throw new AppError('InvalidDBParameterGroupState', 'Default parameter groups cannot be deleted.');
    if ([...this.instances.values()].some((d) => d.parameterGroup.name === state.group.name)) {
      throw new AppError('InvalidDBParameterGroupState', `One or more database instances are still members of this parameter group ${state.group.name}, so the group cannot be deleted`);
    }
    this.groups.delete(state.group.name);
  }

  async modifyDbParameterGroup(q: { name: string; parameters: ParameterChange[] }): Promise<string> {
    this.record('modifyDbParameterGroup', q);
    const state = this.requireGroup(q.name);
    if (state.group.name.startsWith('default.')) throw new AppError('InvalidParameterValue', 'Default parameter groups cannot be modified.');
    for (const change of q.parameters) {
      const p = state.parameters.get(change.name);
      if (!p) throw new AppError('InvalidParameterValue', `Unknown parameter: ${change.name}`);
      state.parameters.set(change.name, { ...p, value: change.value, source: 'user', applyMethod: change.applyMethod });
    }
    return state.group.name;
  }

  async resetDbParameterGroup(q: { name: string; resetAll?: boolean; parameters?: ParameterChange[] }): Promise<string> {
    this.record('resetDbParameterGroup', q);
    const state = this.requireGroup(q.name);
    const defaults = new Map(defaultParameters().map((p) => [p.name, p]));
    const names = q.resetAll ? [...defaults.keys()] : (q.parameters ?? []).map((p) => p.name);
    for (const name of names) {
      const d = defaults.get(name);
      if (!d) throw new AppError('InvalidParameterValue', `Unknown parameter: ${name}`);
      state.parameters.set(name, d);
    }
    return state.group.name;
  }

  async describeDbParameters(q: { name: string; source?: ParameterSource }): Promise<Parameter[]> {
    this.record('describeDbParameters', q);
    const state = this.requireGroup(q.name);
    return [...state.parameters.values()].filter((p) => q.source === undefined || p.source === q.source).map((p) => structuredClone(p));
  }

  async copyDbParameterGroup(q: { source: string; target: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    this.record('copyDbParameterGroup', q);
    const source = this.requireGroup(q.source);
    const name = q.target.toLowerCase();
    if (this.groups.has(name)) throw new AppError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
    const state: GroupState = { group: this.groupRecord(name, source.group.family, q.description), parameters: new Map([...source.parameters].map(([k, v]) => [k, structuredClone(v)])) };
    this.groups.set(name, state);
    return structuredClone(state.group);
  }

  async describeEngineDefaultParameters(q: { family: string }): Promise<Parameter[]> {
    this.record('describeEngineDefaultParameters', q);
    return defaultParameters();
  }

  // ---- events -----------------------------------------------------------------------------

  /** Tags of the fake's DB instances only (by `:db:` ARN); other resources are not modelled. */
  private taggedInstance(resourceName: string): DbInstance {
    const m = /^arn:aws:rds:[^:]*:[^:]*:db:(.+)$/.exec(resourceName);
    if (!m) throw new AppError('InvalidAction', 'The fake control plane models tags on DB instances only.');
    const inst = this.instances.get(m[1]!);
    if (!inst) throw new AppError('DBInstanceNotFound', `DBInstance ${m[1]} not found.`);
    return inst;
  }

  async listTagsForResource(q: { resourceName: string }): Promise<Tag[]> {
    this.record('listTagsForResource', q);
    return this.taggedInstance(q.resourceName).tags.map((t) => ({ ...t }));
  }

  async addTagsToResource(q: { resourceName: string; tags: Tag[] }): Promise<void> {
    this.record('addTagsToResource', q);
    const inst = this.taggedInstance(q.resourceName);
    const byKey = new Map(inst.tags.map((t) => [t.key, t.value]));
    for (const t of q.tags) byKey.set(t.key, t.value);
    inst.tags = [...byKey].map(([key, value]) => ({ key, value }));
  }

  async removeTagsFromResource(q: { resourceName: string; tagKeys: string[] }): Promise<void> {
    this.record('removeTagsFromResource', q);
    const inst = this.taggedInstance(q.resourceName);
    inst.tags = inst.tags.filter((t) => !q.tagKeys.includes(t.key));
  }

  async describeEvents(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): Promise<DbEvent[]> {
    this.record('describeEvents', q);
    return this.events
      .filter((e) => q.sourceIdentifier === undefined || e.sourceIdentifier === q.sourceIdentifier)
      .filter((e) => q.sourceType === undefined || e.sourceType === q.sourceType)
      .filter((e) => q.startTime === undefined || e.date >= q.startTime)
      .filter((e) => q.endTime === undefined || e.date <= q.endTime)
      .filter((e) => q.eventCategories === undefined || q.eventCategories.length === 0 || e.eventCategories.some((c) => q.eventCategories?.includes(c)))
      .map((e) => structuredClone(e));
  }

  // ---- pending maintenance ------------------------------------------------------------------

  async describePendingMaintenanceActions(q: { resourceIdentifier?: string; filters?: Filter[] }): Promise<ResourcePendingMaintenanceActions[]> {
    this.record('describePendingMaintenanceActions', q);
    let list = [...this.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const ref = q.resourceIdentifier;
    if (ref !== undefined) list = list.filter((d) => d.arn === ref || d.id === ref.toLowerCase());
    for (const f of q.filters ?? []) {
      if (f.name === 'db-instance-id') list = list.filter((d) => f.values.includes(d.id) || f.values.includes(d.arn));
      else if (f.name === 'db-cluster-id') list = [];
      else throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}. Supported: db-instance-id, db-cluster-id.`);
    }
    return list.map((d) => ({ resourceIdentifier: d.arn, actions: this.pendingActions(d) })).filter((r) => r.actions.length > 0);
  }

  async applyPendingMaintenanceAction(q: { resourceIdentifier?: string; applyAction?: string; optInType?: string }): Promise<ResourcePendingMaintenanceActions> {
    this.record('applyPendingMaintenanceAction', q);
    if (!q.resourceIdentifier) throw new AppError('MissingParameter', 'The request must contain the parameter ResourceIdentifier');
    if (!q.applyAction) throw new AppError('MissingParameter', 'The request must contain the parameter ApplyAction');
    const optIn = parseOptInType(q.optInType);
    const ref = q.resourceIdentifier;
    const db = [...this.instances.values()].find((d) => d.arn === ref || d.id === ref.toLowerCase());
    if (!db) throw new AppError('ResourceNotFoundFault', `The specified resource ARN was not found: ${ref}`);
    const target = db.pendingModifiedValues.caCertificateIdentifier;
    if (q.applyAction !== CA_ROTATION_ACTION || target === undefined) {
      throw new AppError('InvalidParameterValue', `DB instance ${db.id} has no pending maintenance action ${q.applyAction}.`);
    }
    if (optIn === 'immediate') {
      if (db.status !== 'available') throw this.badState(db);
      this.rotateCa(db, target);
    } else {
      this.optIns.set(db.id, optIn);
    }
    return { resourceIdentifier: db.arn, actions: this.pendingActions(db) };
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** Serves a certificate from `ca` at once; nothing stays pending. */
  private rotateCa(db: DbInstance, ca: string): void {
    db.caCertificateIdentifier = ca;
    db.certificate = { caIdentifier: ca, validTill: new Date(this.clock.now().getTime() + 365 * dayMs) };
    delete db.pendingModifiedValues.caCertificateIdentifier;
    this.optIns.delete(db.id);
  }

  /** The instance's pending actions, shaped like control/maintenance.ts `actionsOf`. */
  private pendingActions(db: DbInstance): PendingMaintenanceAction[] {
    const target = db.pendingModifiedValues.caCertificateIdentifier;
    if (target === undefined) return [];
    const optIn = this.optIns.get(db.id) ?? 'next-maintenance';
    return [
      {
        action: CA_ROTATION_ACTION,
        optInStatus: optIn,
        ...(optIn === 'next-maintenance' ? { currentApplyDate: currentOrNextWindowStart(this.clock.now(), db.preferredMaintenanceWindow) } : {}),
        description: `Rotate the server certificate from CA ${db.caCertificateIdentifier} to ${target}`,
      },
    ];
  }

  private groupRecord(name: string, family: string, description: string): DbParameterGroup {
    return { name, family, description, arn: `arn:aws:rds:${this.region}:${this.accountId}:pg:${name}` };
  }

  private notFound(id: string): AppError {
    return new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
  }

  private badState(db: DbInstance): AppError {
    return new AppError('InvalidDBInstanceState', `DB instance ${db.id} is not in an appropriate state (${db.status}).`);
  }

  private requireInstance(id: string): DbInstance {
    const db = this.instances.get(id.toLowerCase());
    if (!db) throw this.notFound(id);
    return db;
  }

  private requireCertificate(id: string): CaCertificate {
    const c = this.certificates.find((x) => x.certificateIdentifier === id);
    if (!c) throw new AppError('CertificateNotFound', `Certificate ${id} not found.`);
    return c;
  }

  private requireGroup(name: string): GroupState {
    const g = this.groups.get(name.toLowerCase());
    if (!g) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`);
    return g;
  }
}
