import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import type { Config } from '../config/config.js';
import type { AllowList } from '../dataplane/allow-list.js';
import type { ClientTrust } from '../dataplane/client-certs.js';
import { FrontDoor } from '../dataplane/front-door.js';
import { NativeDataplane } from '../dataplane/native/native-dataplane.js';
import { withTimeout } from '../dataplane/phase-timeout.js';
import type { SessionInfo } from '../dataplane/session-info.js';
import { IamGate, type IamIdentity } from '../dataplane/iam-auth.js';
import { tlsPolicyFor, type TlsPolicy } from '../dataplane/tls-policy.js';
import type { Engine, EngineStateEvent } from '../engine/engine.js';
import type { ReplicaStatus, ReplicationChannel } from '../engine/replication.js';
import { instanceIamSecret } from '../iam/engine-accounts.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { otherSlot, type DbInstance, type EngineSlot } from '../model/db-instance.js';
import type { LinkKeyType } from '../model/link-certificate-record.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { openSecret } from '../pki/key-store.js';
import { probeEndpoint, probeEngineLink, type ProbeResult } from '../reconcile/tls-probe.js';
import type { Store } from '../store/store.js';
import { frontDoorParameter } from './parameters.js';
import { ParameterCatalogue } from './parameter-catalogue.js';
import { instanceClassResources } from './parameter-formula.js';

/** What the runtime runs on: the engine, the CA (link trust), the store (certificates, parameters) and IAM. */
export interface InstanceRuntimeDeps {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  engine: Engine;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
  /** IAM database authentication: who signs tokens, and the account id of policy ARNs. */
  iam: { identity: IamIdentity; accountId: string };
}

/** What an endpoint is opened with, decided by the control plane. */
export interface EndpointSetup {
  /**
   * The server certificate to serve, in memory (a certificate just issued). Default: the
   * instance's active certificate from the store, its key unsealed.
   */
  serverCertificate?: { chainPem: string; keyPem: string };
  /** Key type of the engine's link certificate; the link prefers TLS 1.2 suites of the same kind. */
  linkKeyType: LinkKeyType;
  /** Client CAs the endpoint asks certificates for; null: it asks for none. */
  clientTrust: ClientTrust | null;
  /** Read on every accept; null allows every address that reaches the listener. */
  allowList: () => AllowList | null;
}

/** TLS material a new engine is provisioned with (PEM). */
export interface EngineProvisionTls {
  /** The engine's link certificate and key. */
  certPem: string;
  keyPem: string;
  /** Every CA the engine trusts for link client certificates. */
  caPem: string;
}

/** One open endpoint: its front door and the IAM gate it was opened with. */
interface LiveEndpoint {
  door: FrontDoor;
  iam: IamGate;
}

/**
 * The live side of instances: engines and their front doors, and the only way to reach either.
 * Knows nothing of API statuses or certificate records; the control plane decides what should
 * run and calls these methods to make it so. Methods taking an instance id are no-ops (or answer
 * "nothing") for an instance that is not serving, unless they say otherwise.
 */
export class InstanceRuntime {
  private readonly endpoints = new Map<string, LiveEndpoint>();
  /** One for the process: every endpoint's sessions run on its threads (started with the first endpoint). */
  private dataplaneInstance: NativeDataplane | null = null;
  private cataloguePromise: Promise<ParameterCatalogue> | null = null;

  constructor(private readonly deps: InstanceRuntimeDeps) {}

  /**
   * The native data plane; throws NativeLoadError (saying how to build it) when the addon is
   * missing, so an endpoint never opens without it.
   */
  private dataplane(): NativeDataplane {
    this.dataplaneInstance ??= new NativeDataplane({
      loops: this.deps.config.frontDoor.dataplaneThreads,
      busyPollMicros: this.deps.config.frontDoor.busyPollMicros,
      onListenerError: (err, session) => this.deps.logger.error('native data plane event handler failed', { session, err }),
    });
    return this.dataplaneInstance;
  }

  /** The native data plane's counters for /metrics; null before the first endpoint opened. */
  dataplaneStats(): ReturnType<NativeDataplane['stats']> | null {
    return this.dataplaneInstance?.stats() ?? null;
  }

  /** Version of the installed engine, e.g. `10.11.19`. */
  get engineVersion(): string {
    return this.deps.engine.version;
  }

  /** The name the engine's link certificate carries (SNI and host name check on the link). */
  linkServername(inst: DbInstance): string {
    return `${inst.resourceId.toLowerCase()}.engine.tlsql.internal`;
  }

  /** The TLS policy of the instance's endpoint: engine version and the group's `tls_version`. */
  policyFor(inst: DbInstance): TlsPolicy {
    return tlsPolicyFor(inst.engineVersion, frontDoorParameter(this.userParameters(inst), 'tls_version'));
  }

  /** User values of the instance's group, read from the store (dynamic ones apply per login). */
  private userParameters(inst: DbInstance): Map<string, string | null> {
    return this.deps.store.getParameters(inst.parameterGroup.name);
  }

  /** The family's parameters, from the installed engine's variables (read once, then cached). */
  parameterCatalogue(): Promise<ParameterCatalogue> {
    this.cataloguePromise ??= this.deps.engine.variableCatalogue().then((c) => new ParameterCatalogue(c));
    this.cataloguePromise.catch(() => {
      this.cataloguePromise = null;
    });
    return this.cataloguePromise;
  }

  // --- engines ---------------------------------------------------------------------------

  /**
   * First start of a new instance's engine, from the template or, with `seedFrom`, from a
   * consistent copy of that running instance's engine (a read replica); leaves it running.
   */
  async provisionEngine(inst: DbInstance, masterUserPassword: string, tls: EngineProvisionTls, seedFrom?: DbInstance): Promise<void> {
    await this.deps.engine.setServerVariables(inst.id, await this.engineVariables(inst));
    await this.deps.engine.provision({
      id: inst.id,
      dir: join(this.deps.config.dataDir, 'instances', inst.id),
      tls,
      masterUsername: inst.masterUsername,
      masterUserPassword,
      // The source's engine serving now: after a Multi-AZ failover, its second slot.
      ...(seedFrom ? { seedFrom: primaryEngineId(seedFrom) } : {}),
    });
  }

  /**
   * Starts a provisioned engine (idempotent; adopts a healthy one left by a previous process) with
   * the values of the instance's parameter group in force, and keeps them in force for every later
   * start, supervisor restarts after a crash included.
   */
  async startEngine(inst: DbInstance): Promise<void> {
    const primary = primaryEngineId(inst);
    await this.deps.engine.setServerVariables(primary, await this.engineVariables(inst, 'primary'));
    await this.deps.engine.start(primary);
    const standby = standbyEngineId(inst);
    if (standby !== null && (await this.deps.engine.isProvisioned(standby))) {
      await this.deps.engine.setServerVariables(standby, await this.engineVariables(inst, 'standby'));
      await this.deps.engine.start(standby);
    }
  }

  /** Server variables of the instance's parameter group, formulas evaluated against its class (parameter-formula.ts). */
  private async engineVariables(inst: DbInstance, role: 'primary' | 'standby' = 'primary'): Promise<Record<string, string>> {
    const { memoryBytes, vcpus } = instanceClassResources(inst.instanceClass);
    const ctx = { DBInstanceClassMemory: memoryBytes, DBInstanceVCPU: vcpus, AllocatedStorage: BigInt(inst.allocatedStorageGiB) * (1n << 30n) };
    const user = this.userParameters(inst);
    const vars = (await this.parameterCatalogue()).engineVariables(user, ctx);
    // RDS's default for read_only is {TrueIfReplica}: a group that sets it decides, as on RDS.
    if (inst.readReplicaSourceId !== undefined && (user.get('read_only') ?? null) === null) vars.read_only = '1';
    if (role === 'standby') {
      // A Multi-AZ standby takes no writes but its primary's, and acknowledges each (multi-az.ts).
      vars.read_only = '1';
      vars.rpl_semi_sync_slave_enabled = '1';
    } else if (inst.multiAz?.standby === 'in-sync') {
      // A commit is acknowledged to the client once the standby has it (AFTER_SYNC); without an
      // answer within the timeout the primary goes on asynchronously, which multi-az.ts reports.
      vars.rpl_semi_sync_master_enabled = '1';
      vars.rpl_semi_sync_master_wait_point = 'AFTER_SYNC';
      vars.rpl_semi_sync_master_timeout = String(this.deps.config.multiAz.semiSyncTimeoutMs);
    }
    return vars;
  }

  /** Whether the instance's engine was provisioned completely (a failed creation leaves none). */
  engineProvisioned(id: string): Promise<boolean> {
    return this.deps.engine.isProvisioned(this.primaryOf(id));
  }

  /** Reports engine state changes (crashes, supervisor restarts) to `listener`. */
  onEngineState(listener: (e: EngineStateEvent) => void): void {
    this.deps.engine.on('state', listener);
  }

  /** PID of the instance's mariadbd, or null when none runs. */
  enginePid(id: string): number | null {
    return this.deps.engine.pid(this.primaryOf(id));
  }

  /** `CREATE DATABASE IF NOT EXISTS` on the engine (the name is validated by the caller). */
  async createDatabase(id: string, name: string): Promise<void> {
    await this.deps.engine.admin(this.primaryOf(id), (c) => c.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``));
  }

  /** Sets the master user's password (recreating the user if it was dropped). */
  async setMasterPassword(id: string, username: string, password: string): Promise<void> {
    await this.deps.engine.setMasterPassword(this.primaryOf(id), username, password);
  }

  /**
   * Puts the group's current engine values in force: on the running engine now (SET GLOBAL), and
   * on every later start. Throws when the running engine refuses one (in force from the next start).
   */
  async applyEngineParameters(inst: DbInstance): Promise<void> {
    await this.deps.engine.setServerVariables(primaryEngineId(inst), await this.engineVariables(inst, 'primary'));
    const standby = standbyEngineId(inst);
    if (standby !== null && (await this.deps.engine.isProvisioned(standby))) await this.deps.engine.setServerVariables(standby, await this.engineVariables(inst, 'standby'));
  }

  /**
   * Gives the engine a new link certificate through FLUSH SSL: new link handshakes get it,
   * established links keep theirs. Throws (engine restored to its previous files) when the engine
   * refuses the material.
   */
  async replaceEngineLinkCertificate(id: string, material: { certPem: string; keyPem: string }): Promise<void> {
    for (const e of await this.engineIds(id)) await this.deps.engine.replaceTls(e, material);
  }

  /**
   * Makes the engine trust `caPem` for link client certificates (FLUSH SSL). Returns false, doing
   * nothing, when it already does or when the engine has no client certificate support.
   */
  async trustEngineCas(id: string, caPem: string): Promise<boolean> {
    if (!this.deps.engine.replaceTrustedCas) return false;
    let changed = false;
    for (const e of await this.engineIds(id)) changed = (await this.deps.engine.replaceTrustedCas(e, caPem)) || changed;
    return changed;
  }

  // --- Multi-AZ (docs/replication.md) ----------------------------------------------------

  /** The engine serving the instance `id` now (its Multi-AZ primary, or its one engine). */
  private primaryOf(id: string): string {
    const inst = this.deps.store.getInstance(id);
    return inst ? primaryEngineId(inst) : id;
  }

  /** The instance's engines that exist: its primary, and its standby once provisioned. */
  private async engineIds(id: string): Promise<string[]> {
    const inst = this.deps.store.getInstance(id);
    const standby = inst ? standbyEngineId(inst) : null;
    const ids = [this.primaryOf(id)];
    if (standby !== null && (await this.deps.engine.isProvisioned(standby))) ids.push(standby);
    return ids;
  }

  /**
   * A new standby engine for a Multi-AZ instance, in the slot that is not its primary: a consistent
   * copy of the running primary (anything left in the slot is removed first), started read-only.
   */
  async provisionStandby(inst: DbInstance, tls: EngineProvisionTls): Promise<void> {
    const standby = standbyEngineId(inst)!;
    await this.deps.engine.destroy(standby);
    await this.deps.engine.setServerVariables(standby, await this.engineVariables(inst, 'standby'));
    await this.deps.engine.provision({
      id: standby,
      dir: join(this.deps.config.dataDir, 'instances', standby),
      tls,
      masterUsername: inst.masterUsername,
      masterUserPassword: '',
      seedFrom: primaryEngineId(inst),
    });
  }

  /** Points the standby engine at the instance's own endpoint (its primary) over verified TLS. */
  standbyReplicateFrom(inst: DbInstance, channel: ReplicationChannel): Promise<void> {
    return this.deps.engine.replicateFrom(standbyEngineId(inst)!, channel);
  }

  /** Removes the second slot's engine of a single-AZ instance, if one is there; true when it was. */
  async strayStandby(inst: DbInstance): Promise<boolean> {
    const other = engineIdFor(inst.id, otherSlot(inst.primarySlot ?? 'a'));
    if (!(await this.deps.engine.isProvisioned(other))) return false;
    await this.deps.engine.destroy(other);
    return true;
  }

  /** Starts the standby's replication threads again (a failover that did not happen stopped them). */
  restartStandbyReplication(inst: DbInstance): Promise<void> {
    return this.deps.engine.admin(standbyEngineId(inst)!, async (c) => {
      await c.query('START SLAVE');
    });
  }

  /** A new client certificate for the standby's channel, used from its next connection. */
  renewStandbyCertificate(inst: DbInstance, material: { certPem: string; keyPem: string }): Promise<void> {
    return this.deps.engine.renewReplicationCertificate(standbyEngineId(inst)!, material);
  }

  /** `SHOW REPLICA STATUS` of the standby engine; null when it replicates from nothing. */
  standbyStatus(inst: DbInstance): Promise<ReplicaStatus | null> {
    return this.deps.engine.replicaStatus(standbyEngineId(inst)!);
  }

  /** Whether the primary waits for its standby's acknowledgements now, and how many replicas acknowledge. */
  semiSyncStatus(inst: DbInstance): Promise<{ on: boolean; clients: number }> {
    return this.deps.engine.semiSyncStatus(primaryEngineId(inst));
  }

  /** Answers a trivial query on the primary engine within `timeoutMs`, or throws. */
  async pingPrimary(inst: DbInstance, timeoutMs: number): Promise<void> {
    await withTimeout(this.deps.engine.admin(primaryEngineId(inst), (c) => c.query('SELECT 1')), timeoutMs, () => new Error(`the engine did not answer within ${timeoutMs} ms`));
  }

  /** Stops supervising an engine of the instance and kills it (a failed primary whose data is discarded). */
  killEngineSlot(inst: DbInstance, slot: EngineSlot): Promise<void> {
    return this.deps.engine.stop(engineIdFor(inst.id, slot), { kill: true });
  }

  /** Stops and removes an engine of the instance. */
  destroyEngineSlot(inst: DbInstance, slot: EngineSlot): Promise<void> {
    return this.deps.engine.destroy(engineIdFor(inst.id, slot));
  }

  /**
   * Makes the standby the engine that serves: it applies everything it has received from the old
   * primary, forgets it, and the endpoint's new sessions go to it. The caller has recorded the new
   * primary slot on `inst` only after this returns.
   */
  async promoteStandby(inst: DbInstance, applyTimeoutS: number): Promise<void> {
    const standby = standbyEngineId(inst)!;
    await this.deps.engine.endReplication(standby, applyTimeoutS);
  }

  /**
   * Fences the primary engine off during a failover: the endpoint's new sessions get an "engine
   * unavailable" error until followPrimary, and its live sessions are closed, so no client reaches
   * the old primary again whatever becomes of its process.
   */
  fenceEndpoint(inst: DbInstance): void {
    const e = this.endpoints.get(inst.id);
    if (!e) return;
    e.door.setEngineSocketPath(`${this.deps.engine.socketPath(primaryEngineId(inst))}.fenced`);
    for (const s of [...e.door.sessions.values()]) s.close('Multi-AZ failover');
  }

  /** New sessions of the instance's endpoint go to the engine now recorded as primary. */
  followPrimary(inst: DbInstance): void {
    this.endpoints.get(inst.id)?.door.setEngineSocketPath(this.deps.engine.socketPath(primaryEngineId(inst)));
  }

  // --- replication (docs/replication.md) ---------------------------------------------------

  /** Points the instance's engine at its source over verified TLS and starts replicating. */
  replicateFrom(inst: DbInstance, channel: ReplicationChannel): Promise<void> {
    return this.deps.engine.replicateFrom(primaryEngineId(inst), channel);
  }

  /** A new client certificate for the replication channel, used from its next connection. */
  renewReplicationCertificate(inst: DbInstance, material: { certPem: string; keyPem: string }): Promise<void> {
    return this.deps.engine.renewReplicationCertificate(primaryEngineId(inst), material);
  }

  /** `SHOW REPLICA STATUS` of the instance's engine; null when it replicates from nothing. */
  replicaStatus(inst: DbInstance): Promise<ReplicaStatus | null> {
    return this.deps.engine.replicaStatus(primaryEngineId(inst));
  }

  /** Applies what the engine has fetched and forgets its source (promotion). */
  endReplication(inst: DbInstance): Promise<void> {
    return this.deps.engine.endReplication(primaryEngineId(inst));
  }

  /**
   * Creates or drops a replication account on the instance's engine: in its binary log (so its
   * standby and replicas have it) unless the instance is itself a read replica.
   */
  setReplicationAccount(inst: DbInstance, account: { user: string; password: string; subject: string } | { user: string; drop: true }): Promise<void> {
    return this.deps.engine.setReplicationAccount(primaryEngineId(inst), { ...account, binlog: inst.readReplicaSourceId === undefined });
  }

  /** A verifying handshake on the engine's socket, as the front door's link makes it (internal link CA, link name). */
  probeEngineLink(inst: DbInstance): Promise<ProbeResult> {
    return probeEngineLink({ socketPath: this.deps.engine.socketPath(primaryEngineId(inst)), servername: this.linkServername(inst), linkCaPem: this.deps.ca.internalCaPem() });
  }

  // --- endpoints -------------------------------------------------------------------------

  /** Opens the instance's endpoint (idempotent: an open one is kept as it is). */
  async openEndpoint(inst: DbInstance, setup: EndpointSetup): Promise<void> {
    if (this.endpoints.has(inst.id)) return;
    const { chainPem, keyPem } = setup.serverCertificate ?? this.storedServerCertificate(inst);
    const cfg = this.deps.config;
    const iam = this.iamGate(inst);
    const door = new FrontDoor({
      instanceId: inst.id,
      addresses: [...cfg.listenAddresses],
      port: inst.endpoint.port,
      engineSocketPath: this.deps.engine.socketPath(primaryEngineId(inst)),
      certificateChainPem: chainPem,
      privateKeyPem: keyPem,
      policy: this.policyFor(inst),
      link: { caPem: this.deps.ca.internalCaPem(), servername: this.linkServername(inst), keyType: linkAuthType(setup.linkKeyType) },
      requireSecureTransport: () => frontDoorParameter(this.userParameters(inst), 'require_secure_transport') === '1',
      allowList: setup.allowList,
      iam,
      handshakeTimeoutMs: cfg.frontDoor.handshakeTimeoutMs,
      engineConnectTimeoutMs: cfg.frontDoor.engineConnectTimeoutMs,
      maxHandshakePacketBytes: cfg.frontDoor.maxHandshakePacketBytes,
      refusalLogIntervalMs: cfg.frontDoor.refusalLogIntervalMs,
      clock: this.deps.clock,
      preAuthLimits: {
        maxSessions: cfg.frontDoor.maxPreAuthSessions,
        maxSessionsPerAddress: cfg.frontDoor.maxPreAuthSessionsPerAddress,
        maxIdle: cfg.frontDoor.maxIdlePreAuthSessions,
        maxIdlePerAddress: cfg.frontDoor.maxIdlePreAuthSessionsPerAddress,
        idleGraceMs: cfg.frontDoor.idlePreAuthGraceMs,
      },
      dataplane: this.dataplane(),
      logger: this.deps.logger.child({ instance: inst.id }),
    });
    door.setClientTrust(setup.clientTrust);
    await door.listen();
    this.endpoints.set(inst.id, { door, iam });
  }

  /** The active server certificate from the store, its key unsealed (reopening an endpoint). */
  private storedServerCertificate(inst: DbInstance): { chainPem: string; keyPem: string } {
    const rec = this.deps.store.activeServerCertificate(inst.id);
    if (!rec) throw new Error(`instance ${inst.id} has no active server certificate`);
    return { chainPem: rec.chainPem, keyPem: openSecret(this.deps.masterKey, serverKeyLabel(inst.id, rec.serial), rec.keySealed).toString('utf8') };
  }

  /** The endpoint's IAM gate: enabled or not, it answers IAM account statements and logins. */
  private iamGate(inst: DbInstance): IamGate {
    const gate = new IamGate({
      instanceId: inst.id,
      resourceId: inst.resourceId,
      region: inst.region,
      accountId: this.deps.iam.accountId,
      endpoint: { address: inst.endpoint.address, port: inst.endpoint.port },
      enabled: inst.iamDatabaseAuthenticationEnabled,
      secret: instanceIamSecret(this.deps.masterKey, inst.iamSecretOf ?? inst.resourceId),
      identity: this.deps.iam.identity,
      // The engine serving now: a Multi-AZ failover changes it under the open endpoint.
      admin: <T>(fn: (c: Connection) => Promise<T>) => this.deps.engine.admin(this.primaryOf(inst.id), fn),
      clock: this.deps.clock,
      clockSkewMs: this.deps.config.iam.tokenClockSkewMs,
      logger: this.deps.logger.child({ instance: inst.id, component: 'iam' }),
    });
    // Read the account list now rather than on the first login (errors are retried then).
    if (gate.enabled) gate.refresh().catch(() => {});
    return gate;
  }

  /** True while the instance's endpoint is open. */
  isServing(id: string): boolean {
    return this.endpoints.has(id);
  }

  /** Identifiers of the instances whose endpoint is open, sorted. */
  servingIds(): string[] {
    return [...this.endpoints.keys()].sort();
  }

  /**
   * Serves a new certificate at the endpoint: new handshakes get it, sessions keep theirs.
   * Returns false when the endpoint is not open.
   */
  swapCertificate(id: string, chainPem: string, keyPem: string): boolean {
    const e = this.endpoints.get(id);
    e?.door.setCertificate(chainPem, keyPem);
    return e !== undefined;
  }

  /** A verifying handshake against the live endpoint with `bundlePem`, as a client with VERIFY_IDENTITY makes it. */
  probeEndpoint(inst: DbInstance, bundlePem: string): Promise<ProbeResult> {
    const e = this.endpoints.get(inst.id);
    if (!e) return Promise.reject(new Error(`the endpoint of ${inst.id} is not open`));
    return probeEndpoint({ address: this.probeAddress(), port: e.door.port, endpoint: inst.endpoint.address, bundlePem });
  }

  /** A loopback address the endpoints listen on, for probes. */
  private probeAddress(): string {
    const a = this.deps.config.listenAddresses[0] ?? '127.0.0.1';
    if (a === '0.0.0.0') return '127.0.0.1';
    if (a === '::') return '::1';
    return a;
  }

  /** Turns IAM database authentication on or off at once: the next login and account statement see it. */
  setIamEnabled(id: string, on: boolean): void {
    this.endpoints.get(id)?.iam.setEnabled(on);
  }

  /** From now on the endpoint's engine link prefers TLS 1.2 suites matching a `keyType` link certificate. */
  setLinkKeyType(id: string, keyType: LinkKeyType): void {
    this.endpoints.get(id)?.door.engineLink().setKeyType(linkAuthType(keyType));
  }

  /** The client-certificate trust the endpoint asks with; null when it asks for none or is not open. */
  clientTrust(id: string): ClientTrust | null {
    return this.endpoints.get(id)?.door.clientTrust() ?? null;
  }

  /** Replaces the endpoint's client-certificate trust (new handshakes). Returns false when it is not open. */
  setClientTrust(id: string, trust: ClientTrust | null): boolean {
    const e = this.endpoints.get(id);
    e?.door.setClientTrust(trust);
    return e !== undefined;
  }

  /** The endpoint's live sessions; empty when it is not open. */
  sessions(id: string): SessionInfo[] {
    return [...(this.endpoints.get(id)?.door.sessions.values() ?? [])];
  }

  /**
   * The endpoint's front door, for observers only (metrics, tests): change an endpoint through
   * this class's methods, never through the door.
   */
  frontDoor(id: string): FrontDoor | undefined {
    return this.endpoints.get(id)?.door;
  }

  /** A snapshot of the open endpoints by instance id, for metrics. */
  frontDoors(): ReadonlyMap<string, FrontDoor> {
    return new Map([...this.endpoints].map(([id, e]) => [id, e.door]));
  }

  // --- whole instances -------------------------------------------------------------------

  /** Closes the endpoint (sessions dropped). */
  async closeEndpoint(id: string): Promise<void> {
    const e = this.endpoints.get(id);
    this.endpoints.delete(id);
    await e?.door.close(true);
  }

  /** Stops serving: endpoint closed (sessions dropped), engine stopped cleanly. */
  async deactivate(id: string): Promise<void> {
    await this.closeEndpoint(id);
    for (const e of await this.engineIds(id)) await this.deps.engine.stop(e);
  }

  /** Endpoint closed, engine stopped and its directory removed. */
  async destroy(id: string): Promise<void> {
    await this.closeEndpoint(id);
    // Both slots, whatever the instance says: a standby left by turning Multi-AZ off goes too.
    for (const slot of ['a', 'b'] as const) await this.deps.engine.destroy(engineIdFor(id, slot));
  }

  /** Closes every endpoint and stops engines, keeping data. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.endpoints.keys()].map((id) => this.closeEndpoint(id)));
    this.dataplaneInstance?.shutdown();
    this.dataplaneInstance = null;
    await this.deps.engine.shutdownAll();
  }
}

/** The engine id of an instance's slot: `a` is the instance id itself, `b` its Multi-AZ twin. */
export function engineIdFor(instanceId: string, slot: EngineSlot): string {
  return slot === 'a' ? instanceId : `${instanceId}_b`;
}

/** The instance id and slot of an engine id (engineIdFor's inverse). */
export function slotOfEngine(engineId: string): { instanceId: string; slot: EngineSlot } {
  return engineId.endsWith('_b') ? { instanceId: engineId.slice(0, -2), slot: 'b' } : { instanceId: engineId, slot: 'a' };
}

/** The engine serving the instance: its Multi-AZ primary, or its one engine. */
export function primaryEngineId(inst: DbInstance): string {
  return engineIdFor(inst.id, inst.primarySlot ?? 'a');
}

/** The Multi-AZ standby's engine id, or null for a single-AZ instance. */
export function standbyEngineId(inst: DbInstance): string | null {
  return inst.multiAz ? engineIdFor(inst.id, otherSlot(inst.primarySlot ?? 'a')) : null;
}


/** The link's authentication type for a link certificate key type (how dataplane/engine-link.ts names it). */
function linkAuthType(keyType: LinkKeyType): 'rsa' | 'ecdsa' {
  return keyType === 'rsa2048' ? 'rsa' : 'ecdsa';
}

/** Label binding a sealed server-certificate key to its instance and serial (AES-GCM associated data). */
export function serverKeyLabel(instanceId: string, serial: string): string {
  return `instances/${instanceId}/server-certificates/${serial}.key`;
}
