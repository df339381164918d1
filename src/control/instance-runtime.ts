import { join } from 'node:path';
import type { Config } from '../config/config.js';
import type { AllowList } from '../dataplane/allow-list.js';
import type { ClientTrust } from '../dataplane/client-certs.js';
import { FrontDoor } from '../dataplane/front-door.js';
import { IamGate, type IamIdentity } from '../dataplane/iam-auth.js';
import { NativeDataplane } from '../dataplane/native/native-dataplane.js';
import { instanceIamSecret } from '../iam/engine-accounts.js';
import { tlsPolicyFor, type TlsPolicy } from '../dataplane/tls-policy.js';
import type { Engine } from '../engine/engine.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/certificate-authority.js';
import type { CaFamilyId } from '../pki/families.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/store.js';
import type { DbInstance } from './types.js';

export type LinkKeyType = 'rsa2048' | 'ecdsa-p256';

/**
 * The live side of instances: engines and their front doors. Knows nothing of API statuses;
 * the control plane decides what should run and calls this to make it so.
 */
export class InstanceRuntime {
  readonly doors = new Map<string, FrontDoor>();
  /** One for the process: every endpoint's sessions run on its threads. */
  private dataplaneInstance: NativeDataplane | null = null;

  constructor(
    private readonly deps: {
      config: Config;
      store: Store;
      ca: CertificateAuthority;
      engine: Engine;
      masterKey: Buffer;
      clock: Clock;
      logger: Logger;
      /** Effective parameter values of an instance's group, read on every login (dynamic). */
      parameters: (inst: DbInstance) => Map<string, string | null>;
      /** IAM database authentication: who signs tokens, and the account id of policy ARNs. */
      iam?: { identity: IamIdentity; accountId: string };
      /** Client-certificate trust and network allow-lists (control/connection-security.ts). */
      security?: {
        engineCaPem(inst: DbInstance): Promise<string>;
        ensureEngineTrust(inst: DbInstance): Promise<void>;
        clientTrust(inst: DbInstance): Promise<ClientTrust | null>;
        allowListFor(inst: DbInstance): AllowList | null;
      };
    },
  ) {}

  /**
   * The native data plane, started with the first endpoint; throws NativeLoadError (saying how to
   * build it) when the addon is missing, so an endpoint never opens without it.
   */
  dataplane(): NativeDataplane {
    this.dataplaneInstance ??= new NativeDataplane({ loops: this.deps.config.frontDoor.dataplaneThreads, busyPollMicros: this.deps.config.frontDoor.busyPollMicros });
    return this.dataplaneInstance;
  }

  instanceDir(id: string): string {
    return join(this.deps.config.dataDir, 'instances', id);
  }

  linkServername(inst: DbInstance): string {
    return `${inst.resourceId.toLowerCase()}.engine.tlsql.internal`;
  }

  linkKeyTypeFor(family: CaFamilyId): LinkKeyType {
    return family === 'tlsql-ca-ecc384-g1' ? 'ecdsa-p256' : 'rsa2048';
  }

  policyFor(inst: DbInstance): TlsPolicy {
    return tlsPolicyFor(inst.engineVersion, this.deps.parameters(inst).get('tls_version'));
  }

  /** Issues a fresh server certificate for the instance's endpoint and records it as active. */
  async issueServerCertificate(inst: DbInstance, family: CaFamilyId): Promise<IssuedCertificate> {
    const cert = await this.deps.ca.issueServerCertificate({ endpoint: inst.endpoint.address, familyId: family, region: inst.region });
    this.deps.store.activateServerCertificate({
      serial: cert.serialHex,
      instanceId: inst.id,
      familyId: family,
      chainPem: cert.chainPem,
      keySealed: sealSecret(this.deps.masterKey, keyLabel(inst.id, cert.serialHex), cert.keyPem),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      createdAt: this.deps.clock.now(),
    });
    return cert;
  }

  /** First start of a new instance: engine from template, then the endpoint. */
  async provision(inst: DbInstance, masterUserPassword: string): Promise<void> {
    const keyType = this.linkKeyTypeFor(inst.caCertificateIdentifier as CaFamilyId);
    const link = await this.deps.ca.issueLinkCertificate({ hostname: this.linkServername(inst), keyType });
    this.deps.store.setMeta(`link_key_type:${inst.id}`, keyType);
    await this.deps.engine.provision({
      id: inst.id,
      dir: this.instanceDir(inst.id),
      tls: { certPem: link.certPem, keyPem: link.keyPem, caPem: (await this.deps.security?.engineCaPem(inst)) ?? this.deps.ca.internalCaPem() },
      masterUsername: inst.masterUsername,
      masterUserPassword,
    });
    await this.openDoor(inst);
  }

  /** Brings an existing instance up: engine running, endpoint listening. Idempotent. */
  async activate(inst: DbInstance): Promise<void> {
    await this.deps.engine.start(inst.id);
    await this.deps.security?.ensureEngineTrust(inst);
    await this.openDoor(inst);
  }

  /** Opens (or re-opens) the instance's endpoint with its active certificate. */
  async openDoor(inst: DbInstance): Promise<FrontDoor> {
    const existing = this.doors.get(inst.id);
    if (existing) return existing;
    const rec = this.deps.store.activeServerCertificate(inst.id);
    if (!rec) throw new Error(`instance ${inst.id} has no active server certificate`);
    const keyPem = openSecret(this.deps.masterKey, keyLabel(inst.id, rec.serial), rec.keySealed).toString('utf8');
    const cfg = this.deps.config;
    const linkKeyType = (this.deps.store.getMeta(`link_key_type:${inst.id}`) ?? 'rsa2048') as LinkKeyType;
    const door = new FrontDoor({
      instanceId: inst.id,
      addresses: [...cfg.listenAddresses],
      port: inst.endpoint.port,
      engineSocketPath: this.deps.engine.socketPath(inst.id),
      certificateChainPem: rec.chainPem,
      privateKeyPem: keyPem,
      policy: this.policyFor(inst),
      link: { caPem: this.deps.ca.internalCaPem(), servername: this.linkServername(inst), keyType: linkKeyType === 'rsa2048' ? 'rsa' : 'ecdsa' },
      requireSecureTransport: () => this.deps.parameters(inst).get('require_secure_transport') === '1',
      allowList: this.deps.security ? () => this.deps.security!.allowListFor(inst) : undefined,
      iam: this.iamGate(inst),
      handshakeTimeoutMs: cfg.frontDoor.handshakeTimeoutMs,
      engineConnectTimeoutMs: cfg.frontDoor.engineConnectTimeoutMs,
      maxHandshakePacketBytes: cfg.frontDoor.maxHandshakePacketBytes,
      dataplane: this.dataplane(),
      logger: this.deps.logger.child({ instance: inst.id }),
    });
    if (this.deps.security) door.setClientTrust(await this.deps.security.clientTrust(inst));
    await door.listen();
    this.doors.set(inst.id, door);
    return door;
  }

  /** The endpoint's IAM gate, or undefined when the service has no IAM directory (some tests). */
  private iamGate(inst: DbInstance): IamGate | undefined {
    const iam = this.deps.iam;
    if (!iam) return undefined;
    const gate = new IamGate({
      instanceId: inst.id,
      resourceId: inst.resourceId,
      region: inst.region,
      accountId: iam.accountId,
      endpoint: { address: inst.endpoint.address, port: inst.endpoint.port },
      enabled: inst.iamDatabaseAuthenticationEnabled,
      secret: instanceIamSecret(this.deps.masterKey, inst.resourceId),
      identity: iam.identity,
      admin: (fn) => this.deps.engine.admin(inst.id, fn),
      clock: this.deps.clock,
      clockSkewMs: this.deps.config.iam.tokenClockSkewMs,
      logger: this.deps.logger.child({ instance: inst.id, component: 'iam' }),
    });
    // Read the account list now rather than on the first login (errors are retried then).
    if (gate.enabled) gate.refresh().catch(() => {});
    return gate;
  }

  async closeDoor(id: string): Promise<void> {
    const door = this.doors.get(id);
    this.doors.delete(id);
    await door?.close(true);
  }

  /** Stops serving: endpoint closed (sessions dropped), engine stopped cleanly. */
  async deactivate(id: string): Promise<void> {
    await this.closeDoor(id);
    await this.deps.engine.stop(id);
  }

  async destroy(id: string): Promise<void> {
    await this.closeDoor(id);
    await this.deps.engine.destroy(id);
  }

  /** Closes every endpoint and stops engines, keeping data. */
  async shutdown(): Promise<void> {
    await Promise.all([...this.doors.keys()].map((id) => this.closeDoor(id)));
    await this.deps.engine.shutdownAll();
  }
}

/** Label binding a sealed server-certificate key to its instance and serial (AES-GCM associated data). */
export function keyLabel(instanceId: string, serial: string): string {
  return `instances/${instanceId}/server-certificates/${serial}.key`;
}
