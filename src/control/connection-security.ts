import { X509Certificate } from 'node:crypto';
import type { Config } from '../config/config.js';
import { dataPaths } from '../config/paths.js';
import { AllowList, formatCidr, parseCidr } from '../dataplane/allow-list.js';
import { ClientTrust, type TrustedClientCa } from '../dataplane/client-certs.js';
import type { SessionInfo } from '../dataplane/session-info.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { ClientCaRecord, ClientCertificateAuthorityInfo } from '../model/client-certificate-authority.js';
import type { DbConnection } from '../model/db-connection.js';
import type { DbInstance } from '../model/db-instance.js';
import type { DbSecurityGroup, DbSecurityGroupRecord } from '../model/db-security-group.js';
import type { CertificateAuthority } from '../pki/certificate-authority.js';
import { ClientCertificateAuthority, createShadowCa, issueLinkClientCertificate, loadCaWithKey, onelineName, parseOnelineSubject, type IssuedClientCertificate, type LoadedClientCa } from '../pki/client-ca.js';
import { crlIssuedBy, readCrl } from '../pki/client-crl.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import type { Tag } from '../model/tag.js';
import { TagStore } from '../store/tag-store.js';
import { tagsForNewResource } from './resource-tags.js';
import { ConnectionSecurityStore } from '../store/connection-security-store.js';
import type { Store } from '../store/store.js';
import type { ClientCertificateRecord } from '../model/client-certificate.js';
import { ClientRevocation, type ImportedCrlInfo } from './client-revocation.js';
import type { ConnectionSecurityControl } from './connection-security-control.js';
import type { InstanceRuntime } from './instance-runtime.js';

export interface ConnectionSecurityDeps {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
  accountId: string;
  /** Engines and endpoints: trusted CAs, client-certificate trust, sessions. */
  runtime: InstanceRuntime;
}

/** Most operator CAs one instance may trust. */
const MAX_OPERATOR_CAS = 20;
const GROUP_NAME = /^[A-Za-z](?:[A-Za-z0-9]|-(?!-)){0,254}$/;

/**
 * Connection security services behind the API and the CLI: DB security groups as network
 * allow-lists, the connection list, client certificates and each instance's trusted client CAs.
 * Also what the control plane hands the runtime when it provisions an engine or opens an endpoint.
 *
 * Defaults: an instance without DB security groups accepts every address that reaches its
 * listeners (loopback only unless `listenAddresses` says otherwise); with groups, only their CIDRs.
 * Every instance trusts its region's tlsql client CA; operators may add their own CAs.
 */
export class ConnectionSecurity implements ConnectionSecurityControl {
  private readonly clientCa: ClientCertificateAuthority;
  private readonly repo: ConnectionSecurityStore;
  private readonly tags: TagStore;
  private readonly log: Logger;
  private readonly allowLists = new Map<string, AllowList | null>();
  /** Shadow CA signers by `<resourceId>/<thumbprint>`: imported once, reused for every link certificate. */
  private readonly shadows = new Map<string, Promise<LoadedClientCa>>();
  private readonly revocation: ClientRevocation;
  /**
   * Serialises, per instance id, building an endpoint's client-certificate trust list and handing
   * it to the endpoint. A list reflects the revocations read when its build began, and a build may
   * await (shadow CA keys, CRL parsing, FLUSH SSL); without this, a build that began before a
   * revocation could be installed after the revocation's own list and accept the certificate again.
   * Every caller builds inside the lock, so the last list installed is built after the last change.
   */
  private readonly trustLock = new KeyedLock();
  /** Base of the CRL URLs put in new client certificates; set once the API listens (setPublicApiUrl). */
  private publicApiUrl: string | undefined;

  constructor(private readonly d: ConnectionSecurityDeps) {
    this.repo = new ConnectionSecurityStore(d.store);
    this.tags = new TagStore(d.store);
    this.log = d.logger.child({ component: 'connection-security' });
    this.clientCa = new ClientCertificateAuthority({ dir: dataPaths(d.config.dataDir).pki, masterKey: d.masterKey, regions: [...d.config.regions], clock: d.clock, logger: d.logger });
    this.revocation = new ClientRevocation({ store: d.store, clientCa: this.clientCa, regions: d.config.regions, clock: d.clock, logger: d.logger });
  }

  /**
   * The API's URL as clients reach it (`api.publicUrl`, else where it listens): new client
   * certificates name `<url>/crl/<region>-client-ca-g1.crl` as their CRL distribution point.
   * Known only once the API listens (its port may be chosen then); until then none is named.
   */
  setPublicApiUrl(url: string): void {
    this.publicApiUrl = (this.d.config.api.publicUrl ?? url).replace(/\/+$/, '');
  }

  /** A client CA's published CRL by file name (`<region>-client-ca-g1.crl` DER, `.pem` PEM), for `GET /crl/`; null if unknown. */
  publishedCrl(file: string): Promise<{ body: Buffer | string; contentType: string } | null> {
    return this.revocation.published(file);
  }

  /** The notAfter of each served region's client CA that is loaded, for metrics. */
  clientCaExpiry(): { region: string; notAfter: Date }[] {
    return this.d.config.regions.flatMap((region) => {
      const c = this.clientCa.loaded(region);
      return c ? [{ region, notAfter: c.cert.notAfter }] : [];
    });
  }

  /** Loads (or creates) the client CAs; every other call awaits it too. */
  ready(): Promise<void> {
    return this.clientCa.ensure();
  }

  // --- runtime hooks ---------------------------------------------------------------------

  /**
   * What the engine's `ssl_ca` holds: the internal link CA (its own chain), the region's client CA
   * (signs link certificates of tlsql-issued client certificates) and the shadow of each operator CA.
   */
  async engineCaPem(inst: DbInstance): Promise<string> {
    await this.ready();
    const parts = [this.d.ca.internalCaPem(), this.clientCa.ca(inst.region).certPem, ...this.repo.listClientCas(inst.resourceId).map((r) => r.shadowCertPem)];
    return parts.map((p) => p.trimEnd() + '\n').join('');
  }

  /**
   * Client-certificate trust of an instance's endpoint: its region's client CA, then operator CAs.
   * Null while no client could present a certificate the instance trusts: no operator CA, and no
   * client certificate tlsql issued in the region is still valid. The endpoint then does not ask
   * for client certificates (as RDS never does), and starts each session's engine link while the
   * client is still verifying the server certificate, since no certificate can change it.
   */
  async clientTrust(inst: DbInstance): Promise<ClientTrust | null> {
    await this.ready();
    const operatorCas = this.repo.listClientCas(inst.resourceId);
    const issuedUntil = this.d.store.getMeta(issuedUntilKey(inst.region));
    if (operatorCas.length === 0 && !(issuedUntil && new Date(issuedUntil) > this.d.clock.now())) return null;
    const own = this.clientCa.ca(inst.region);
    const entries: TrustedClientCa[] = [{ caPem: own.certPem, linkSigner: own.signer, source: 'tlsql', revoked: this.revocation.revokedIn(inst.region) }];
    for (const r of operatorCas) {
      entries.push({ caPem: r.certPem, linkSigner: (await this.shadow(r)).signer, source: 'operator', revoked: await this.revocation.revokedByOperatorCa(r) });
    }
    // Link certificates are verified by mariadbd against the real time, so they are dated by it too.
    return new ClientTrust(entries, (p) => issueLinkClientCertificate({ ...p, now: new Date() }));
  }

  /**
   * Opens an instance's endpoint with `open`, handing it the current client-certificate trust, while
   * no other trust list of the instance is built or installed: a revocation made while the endpoint
   * opens (when it is not yet serving, so the revocation leaves it alone) is then either in this
   * list or enforced on the open endpoint right after.
   */
  openWithClientTrust(inst: DbInstance, open: (trust: ClientTrust | null) => Promise<void>): Promise<void> {
    return this.trustLock.run(inst.id, async () => open(await this.clientTrust(inst)));
  }

  /**
   * Brings every live endpoint's client-certificate request in line with `clientTrust`: one starts
   * asking once a client could present a trusted certificate, and stops once the last tlsql-issued
   * one has expired. Called after issuing a certificate and by the scheduler's passes (importing
   * and removing operator CAs update their instance directly). Returns how many endpoints changed.
   */
  async syncClientTrust(): Promise<number> {
    let changed = 0;
    for (const id of this.d.runtime.servingIds()) {
      const inst = this.d.store.getInstance(id);
      if (!inst) continue;
      const trust = await this.trustLock.run(id, async () => {
        const t = await this.clientTrust(inst);
        if ((t === null) === (this.d.runtime.clientTrust(id) === null)) return undefined;
        return this.d.runtime.setClientTrust(id, t) ? t : undefined;
      });
      if (trust === undefined) continue;
      changed++;
      this.log.info(trust ? 'endpoint asks for client certificates' : 'endpoint stopped asking for client certificates: no certificate it trusts is valid any more', { instance: id });
    }
    return changed;
  }

  /** Makes the engine trust what `engineCaPem` says (FLUSH SSL when it changed). */
  async ensureEngineTrust(inst: DbInstance): Promise<void> {
    if (await this.d.runtime.trustEngineCas(inst.id, await this.engineCaPem(inst))) {
      this.log.info('engine trusted client CAs updated', { instance: inst.id });
    }
  }

  /**
   * The allow-list of an instance, or null when it has no DB security group (all addresses).
   * Cached per instance life (DbiResourceId); read on every accept.
   */
  allowListFor(inst: DbInstance): AllowList | null {
    if (this.allowLists.has(inst.resourceId)) return this.allowLists.get(inst.resourceId)!;
    const groups = this.d.store.getInstance(inst.id)?.dbSecurityGroups ?? [];
    let list: AllowList | null = null;
    if (groups.length > 0) {
      const rules = groups.flatMap((g) => this.repo.getSecurityGroup(g)?.cidrs ?? []).map(parseCidr);
      list = new AllowList(rules);
    }
    this.allowLists.set(inst.resourceId, list);
    return list;
  }

  /** Forgets a deleted instance: its imported client CAs (with their shadows and CRLs) and its cached allow-list. */
  forgetInstance(inst: DbInstance): void {
    for (const r of this.repo.listClientCas(inst.resourceId)) {
      this.repo.deleteClientCa(r.resourceId, r.thumbprint);
      this.shadows.delete(`${r.resourceId}/${r.thumbprint}`);
    }
    this.revocation.forgetInstance(inst.resourceId);
    this.allowLists.delete(inst.resourceId);
  }

  /** Drops cached allow-lists; the next accept of each endpoint reads the store again. */
  invalidateAllowLists(): void {
    this.allowLists.clear();
  }

  /** Checks DB security group names for CreateDBInstance/ModifyDBInstance; returns them deduplicated. */
  validateSecurityGroupNames(names: string[] | undefined): string[] | undefined {
    if (names === undefined) return undefined;
    const out = [...new Set(names)];
    for (const n of out) {
      if (!this.repo.getSecurityGroup(n.toLowerCase())) throw new AppError('DBSecurityGroupNotFound', `DBSecurityGroup ${n} not found.`);
    }
    return out.map((n) => n.toLowerCase());
  }

  // --- DB security groups ----------------------------------------------------------------

  private group(r: DbSecurityGroupRecord): DbSecurityGroup {
    return {
      name: r.name,
      description: r.description,
      ownerId: this.d.accountId,
      arn: this.groupArn(r.name),
      ipRanges: r.cidrs.map((c) => ({ cidrIp: c, status: 'authorized' as const })),
    };
  }

  private groupArn(name: string): string {
    return `arn:aws:rds:${this.d.config.region}:${this.d.accountId}:secgrp:${name}`;
  }

  /** Whether a DB security group of this name exists (for tags by ARN). */
  hasDbSecurityGroup(name: string): boolean {
    return this.repo.getSecurityGroup(name.toLowerCase()) !== null;
  }

  private mustGetGroup(name: string | undefined): DbSecurityGroupRecord {
    if (!name) throw new AppError('MissingParameter', 'The request must contain the parameter DBSecurityGroupName');
    const g = this.repo.getSecurityGroup(name.toLowerCase());
    if (!g) throw new AppError('DBSecurityGroupNotFound', `DBSecurityGroup ${name} not found.`);
    return g;
  }

  async createDbSecurityGroup(q: { name: string; description: string; tags?: Tag[] }): Promise<DbSecurityGroup> {
    if (!q.name) throw new AppError('MissingParameter', 'The request must contain the parameter DBSecurityGroupName');
    if (!GROUP_NAME.test(q.name) || q.name.endsWith('-') || q.name.toLowerCase() === 'default') {
      throw new AppError('InvalidParameterValue', 'DBSecurityGroupName must be 1 to 255 letters, digits or hyphens, start with a letter, not end with a hyphen or contain two consecutive hyphens, and not be "default".');
    }
    if (!q.description) throw new AppError('MissingParameter', 'The request must contain the parameter DBSecurityGroupDescription');
    if (q.description.length > 255) throw new AppError('InvalidParameterValue', 'DBSecurityGroupDescription must be at most 255 characters.');
    const tags = tagsForNewResource(q.tags);
    const name = q.name.toLowerCase();
    this.d.store.tx(() => {
      if (!this.repo.insertSecurityGroup({ name, description: q.description, createdAt: this.d.clock.now() })) {
        throw new AppError('DBSecurityGroupAlreadyExists', `A DB security group named ${name} already exists.`);
      }
      this.tags.put(this.groupArn(name), tags);
    });
    this.log.info('DB security group created', { group: name });
    return this.group(this.mustGetGroup(name));
  }

  async describeDbSecurityGroups(q: { name?: string }): Promise<DbSecurityGroup[]> {
    const groups = q.name !== undefined ? [this.mustGetGroup(q.name)] : this.repo.listSecurityGroups();
    return groups.map((g) => this.group(g));
  }

  async deleteDbSecurityGroup(q: { name: string }): Promise<void> {
    const g = this.mustGetGroup(q.name);
    const users = this.d.store.listInstances().filter((i) => i.dbSecurityGroups?.includes(g.name));
    if (users.length) {
      throw new AppError('InvalidDBSecurityGroupState', `DB security group ${g.name} is in use by DB instances: ${users.map((i) => i.id).join(', ')}`);
    }
    this.d.store.tx(() => {
      this.repo.deleteSecurityGroup(g.name);
      this.tags.deleteAll(this.groupArn(g.name));
    });
    this.invalidateAllowLists();
    this.log.info('DB security group deleted', { group: g.name });
  }

  private cidrOf(q: { cidrIp?: string; ec2SecurityGroupName?: string; ec2SecurityGroupId?: string; ec2SecurityGroupOwnerId?: string }): string {
    if (q.ec2SecurityGroupName !== undefined || q.ec2SecurityGroupId !== undefined || q.ec2SecurityGroupOwnerId !== undefined) {
      throw new AppError('InvalidParameterValue', 'tlsql has no EC2 security groups: authorize network ranges with CIDRIP.');
    }
    if (!q.cidrIp) throw new AppError('MissingParameter', 'The request must contain the parameter CIDRIP');
    return formatCidr(parseCidr(q.cidrIp));
  }

  async authorizeDbSecurityGroupIngress(q: { name: string; cidrIp?: string; ec2SecurityGroupName?: string; ec2SecurityGroupId?: string; ec2SecurityGroupOwnerId?: string }): Promise<DbSecurityGroup> {
    const g = this.mustGetGroup(q.name);
    const cidr = this.cidrOf(q);
    if (g.cidrs.length >= 100) throw new AppError('InvalidParameterValue', `DB security group ${g.name} already has 100 rules, the most tlsql allows.`);
    if (!this.repo.addRule(g.name, cidr, this.d.clock.now())) {
      throw new AppError('AuthorizationAlreadyExists', `The specified CIDRIP ${cidr} is already authorized for DB security group ${g.name}.`);
    }
    this.invalidateAllowLists();
    this.log.info('DB security group ingress authorized', { group: g.name, cidr });
    return this.group(this.mustGetGroup(g.name));
  }

  async revokeDbSecurityGroupIngress(q: { name: string; cidrIp?: string; ec2SecurityGroupName?: string; ec2SecurityGroupId?: string; ec2SecurityGroupOwnerId?: string }): Promise<DbSecurityGroup> {
    const g = this.mustGetGroup(q.name);
    const cidr = this.cidrOf(q);
    if (!this.repo.removeRule(g.name, cidr)) {
      throw new AppError('AuthorizationNotFound', `The specified CIDRIP ${cidr} is not authorized for DB security group ${g.name}.`);
    }
    this.invalidateAllowLists();
    this.log.info('DB security group ingress revoked', { group: g.name, cidr });
    return this.group(this.mustGetGroup(g.name));
  }

  // --- connections -----------------------------------------------------------------------

  private mustGetInstance(id: string | undefined): DbInstance {
    if (!id) throw new AppError('MissingParameter', 'The request must contain the parameter DBInstanceIdentifier');
    const inst = this.d.store.getInstance(id.toLowerCase());
    if (!inst) throw new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
    return inst;
  }

  private connection(instanceId: string, s: SessionInfo, nowMs: number): DbConnection {
    const bytes = s.bytes();
    return {
      connectionId: s.id,
      dbInstanceIdentifier: instanceId,
      user: s.user,
      clientAddress: s.clientAddress,
      clientPort: s.clientPort,
      transport: s.tls ? 'tls' : s.user !== null ? 'plaintext' : 'handshake',
      tlsVersion: s.tls?.version ?? null,
      cipher: s.tls?.cipher ?? null,
      clientCertificateSubject: s.clientCertificate?.subject ?? null,
      clientCertificateIssuer: s.clientCertificate?.issuer ?? null,
      phase: s.phase,
      engineThreadId: s.engineThreadId,
      startTime: s.startedAt,
      // Wall-clock duration: sessions are timed by the real clock, whatever the injected one says.
      durationSeconds: Math.max(0, Math.round((nowMs - s.startedAt.getTime()) / 100) / 10),
      bytesIn: bytes.fromClient,
      bytesOut: bytes.toClient,
    };
  }

  async describeDbConnections(q: { dbInstanceIdentifier?: string }): Promise<DbConnection[]> {
    const ids = q.dbInstanceIdentifier !== undefined ? [this.mustGetInstance(q.dbInstanceIdentifier).id] : this.d.runtime.servingIds();
    const now = Date.now();
    const out: DbConnection[] = [];
    for (const id of ids) {
      for (const s of this.d.runtime.sessions(id)) out.push(this.connection(id, s, now));
    }
    return out.sort((a, b) => a.startTime.getTime() - b.startTime.getTime() || a.connectionId.localeCompare(b.connectionId));
  }

  async closeDbConnections(q: { dbInstanceIdentifier: string; transport?: 'plaintext' | 'tls' | 'all'; connectionIds?: string[] }): Promise<DbConnection[]> {
    const inst = this.mustGetInstance(q.dbInstanceIdentifier);
    if (q.transport === undefined && !q.connectionIds?.length) {
      throw new AppError('MissingParameter', 'The request must contain Transport (plaintext, tls or all) or ConnectionIds');
    }
    const ids = new Set(q.connectionIds ?? []);
    const now = Date.now();
    const closed: DbConnection[] = [];
    for (const s of this.d.runtime.sessions(inst.id)) {
      const t = s.tls ? 'tls' : 'plaintext';
      const byTransport = q.transport === 'all' || (q.transport !== undefined && q.transport === t && (t === 'tls' || s.user !== null || s.phase === 'authenticated'));
      if (!byTransport && !ids.has(s.id)) continue;
      closed.push(this.connection(inst.id, s, now));
      s.close(`closed by operator (${q.transport ?? 'by id'})`);
    }
    this.log.info('connections closed by operator', { instance: inst.id, transport: q.transport, ids: q.connectionIds?.length ?? 0, closed: closed.length });
    return closed;
  }

  // --- client certificates and trusted CAs ------------------------------------------------

  async issueClientCertificate(q: { subject: string; validityHours?: number; keyType?: 'rsa2048' | 'ecdsa-p256' }): Promise<IssuedClientCertificate> {
    if (!q.subject) throw new AppError('MissingParameter', 'The request must contain the parameter Subject');
    const subject = parseOnelineSubject(q.subject);
    const region = this.d.config.region;
    const crlUrl = this.publicApiUrl !== undefined ? `${this.publicApiUrl}/crl/${ClientRevocation.crlId(region)}.crl` : undefined;
    const issued = await this.clientCa.issueClientCertificate({ region, subject, validityHours: q.validityHours, keyType: q.keyType, crlUrl });
    this.revocation.recordIssued(region, issued);
    // Recorded before the certificate is handed out, and every endpoint of the region asks for
    // client certificates from now on, so the new certificate works on its first connection.
    const until = this.d.store.getMeta(issuedUntilKey(region));
    if (!until || new Date(until) < issued.notAfter) this.d.store.setMeta(issuedUntilKey(region), issued.notAfter.toISOString());
    await this.syncClientTrust();
    return issued;
  }

  /**
   * Revokes a client certificate of the region's client CA (ClientRevocation.revoke), then makes
   * every endpoint of the region refuse it and closes the live sessions that presented it. The new
   * trust list is in place before the sessions are looked at: a login that passed the old list has
   * recorded its certificate by then, so it is closed too. Returns the record and the closed sessions.
   */
  async revokeClientCertificate(q: { serialNumber?: string; certificatePem?: string; reason?: string }): Promise<{ certificate: ClientCertificateRecord; closed: DbConnection[] }> {
    const region = this.d.config.region;
    const certificate = await this.revocation.revoke({ region, ...q });
    // Every instance of the region, not only those serving now: one whose endpoint is opening is
    // looked at once it has opened (enforce waits for openWithClientTrust).
    const instances = this.d.store.listInstances().filter((inst) => inst.region === region);
    const closed = await this.enforce(instances, certificate.issuer, new Set([certificate.serialHex]));
    this.log.info('revoked client certificate enforced', { serialHex: certificate.serialHex, subject: certificate.subject, sessionsClosed: closed.length });
    return { certificate, closed };
  }

  /** Issued client certificates (never keys), by serial; one with `serialNumber`. */
  async describeClientCertificates(q: { serialNumber?: string }): Promise<ClientCertificateRecord[]> {
    await this.ready();
    return this.revocation.describe({ region: this.d.config.region, ...q });
  }

  /**
   * Imports a CRL for one of the instance's operator client CAs (found by the CRL's issuer name,
   * signature checked against it): the instance refuses the certificates it lists from then on and
   * closes their live sessions.
   */
  async importClientCrl(q: { dbInstanceIdentifier: string; crl: Buffer }): Promise<ImportedCrlInfo & { closed: DbConnection[] }> {
    const inst = this.mustGetInstance(q.dbInstanceIdentifier);
    if (q.crl.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter CrlPem (PEM, or base64 DER in CrlDer)');
    await this.ready();
    const { crl } = readCrl(q.crl);
    const ca = this.repo.listClientCas(inst.resourceId).find((r) => crlIssuedBy(crl, r.certPem));
    if (!ca) {
      const own = this.clientCa.ca(inst.region).certPem;
      if (crlIssuedBy(crl, own)) throw new AppError('InvalidParameterValue', `${crl.issuer} is tlsql's own client CA: it publishes its CRL itself; revoke its certificates with revoke-client-certificate.`);
      throw new AppError('ClientCertificateAuthorityNotFound', `DB instance ${inst.id} trusts no imported client CA named ${crl.issuer}; import the CA first (import-client-certificate-authority).`);
    }
    const info = await this.revocation.importCrl(inst.id, ca, q.crl);
    const revoked = await this.revocation.revokedByOperatorCa(ca);
    const closed = await this.enforce([inst], ca.subject, new Set(revoked.keys()));
    return { ...info, closed };
  }

  /**
   * Gives each serving instance in `instances` a trust list built from the current revocations,
   * then closes its authenticated sessions whose client certificate (issuer `issuer`) has a
   * serial in `serials`. Counted in `tlsql_sessions_closed_total{reason="revoked"}`.
   */
  private async enforce(instances: DbInstance[], issuer: string, serials: ReadonlySet<string>): Promise<DbConnection[]> {
    const closed: DbConnection[] = [];
    for (const inst of instances) {
      const serving = await this.trustLock.run(inst.id, async () => {
        if (!this.d.runtime.isServing(inst.id)) return false;
        this.d.runtime.setClientTrust(inst.id, await this.clientTrust(inst));
        return true;
      });
      if (!serving) continue;
      const now = Date.now();
      for (const s of this.d.runtime.sessions(inst.id)) {
        const c = s.clientCertificate;
        if (!c || c.refusedReason !== null || c.issuer !== issuer || !serials.has(c.serialHex)) continue;
        closed.push(this.connection(inst.id, s, now));
        s.close(`client certificate ${c.serialHex} revoked`);
        const door = this.d.runtime.frontDoor(inst.id);
        if (door) door.stats.closedRevoked++;
      }
    }
    return closed;
  }

  private async shadow(r: ClientCaRecord): Promise<LoadedClientCa> {
    const key = `${r.resourceId}/${r.thumbprint}`;
    let p = this.shadows.get(key);
    if (!p) {
      const keyPem = openSecret(this.d.masterKey, shadowKeyLabel(r.resourceId, r.thumbprint), r.shadowKeySealed).toString('utf8');
      p = loadCaWithKey(r.shadowCertPem, keyPem, `shadow of client CA ${r.subject}`);
      p.catch(() => this.shadows.delete(key));
      this.shadows.set(key, p);
    }
    return p;
  }

  async describeClientCertificateAuthorities(q: { dbInstanceIdentifier: string }): Promise<ClientCertificateAuthorityInfo[]> {
    const inst = this.mustGetInstance(q.dbInstanceIdentifier);
    await this.ready();
    const own = this.clientCa.ca(inst.region);
    return [
      caInfo(inst.id, own.certPem, 'tlsql', this.publicApiUrl !== undefined ? { url: `${this.publicApiUrl}/crl/${ClientRevocation.crlId(inst.region)}.crl` } : null),
      ...this.repo.listClientCas(inst.resourceId).map((r) => caInfo(inst.id, r.certPem, 'operator', this.revocation.importedCrlInfo(r))),
    ];
  }

  async importClientCertificateAuthority(q: { dbInstanceIdentifier: string; certificatePem: string }): Promise<ClientCertificateAuthorityInfo> {
    const inst = this.mustGetInstance(q.dbInstanceIdentifier);
    if (!q.certificatePem) throw new AppError('MissingParameter', 'The request must contain the parameter CertificatePem');
    const pems = q.certificatePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (pems.length !== 1) throw new AppError('InvalidParameterValue', `CertificatePem must hold exactly one PEM certificate (got ${pems.length}); import each CA separately.`);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pems[0]!);
    } catch (e) {
      throw new AppError('InvalidParameterValue', `CertificatePem is not a valid X.509 certificate: ${(e as Error).message}`);
    }
    if (!cert.ca) throw new AppError('InvalidParameterValue', 'The certificate is not a CA certificate (basicConstraints CA:TRUE is required).');
    const now = this.d.clock.now();
    if (new Date(cert.validTo) <= now) throw new AppError('InvalidParameterValue', `The CA certificate expired on ${new Date(cert.validTo).toISOString()}.`);
    const existing = await this.describeClientCertificateAuthorities({ dbInstanceIdentifier: inst.id });
    const thumbprint = cert.fingerprint256.replace(/:/g, '').toLowerCase();
    const subject = onelineName(cert.subject);
    if (existing.some((e) => e.thumbprint === thumbprint || e.subject === subject)) {
      throw new AppError('ClientCertificateAuthorityAlreadyExists', `DB instance ${inst.id} already trusts a client CA with subject ${subject}.`);
    }
    if (existing.length > MAX_OPERATOR_CAS) throw new AppError('InvalidParameterValue', `DB instance ${inst.id} already trusts ${MAX_OPERATOR_CAS} operator client CAs, the most tlsql allows.`);
    const shadow = await createShadowCa(cert.toString(), now);
    const record: ClientCaRecord = {
      resourceId: inst.resourceId,
      thumbprint,
      subject,
      certPem: cert.toString(),
      notAfter: new Date(cert.validTo),
      shadowCertPem: shadow.certPem,
      shadowKeySealed: sealSecret(this.d.masterKey, shadowKeyLabel(inst.resourceId, thumbprint), shadow.keyPem),
      createdAt: now,
    };
    if (!this.repo.insertClientCa(record)) throw new AppError('ClientCertificateAuthorityAlreadyExists', `DB instance ${inst.id} already trusts this client CA.`);
    try {
      await this.applyTrust(inst, 'added');
    } catch (e) {
      this.repo.deleteClientCa(inst.resourceId, thumbprint);
      await this.applyTrust(inst, 'removed').catch((err: unknown) => this.log.error('restoring client CA trust failed', { instance: inst.id, err: err as Error }));
      throw e;
    }
    // A CRL imported for this CA before it was removed is enforced again (it was never dropped):
    // the response and the log say so, with its dates.
    const crl = this.revocation.importedCrlInfo(record);
    this.log.info('client CA trusted', { instance: inst.id, subject, thumbprint, crlThisUpdate: crl?.thisUpdate.toISOString() ?? null });
    return caInfo(inst.id, record.certPem, 'operator', crl);
  }

  /**
   * Stops trusting an operator CA. Its imported CRL is kept: importing the same CA again enforces it
   * again (ClientCertificateStore.putCrl), rather than accepting every certificate it revoked.
   */
  async removeClientCertificateAuthority(q: { dbInstanceIdentifier: string; thumbprint: string }): Promise<ClientCertificateAuthorityInfo> {
    const inst = this.mustGetInstance(q.dbInstanceIdentifier);
    if (!q.thumbprint) throw new AppError('MissingParameter', 'The request must contain the parameter Thumbprint');
    const thumbprint = q.thumbprint.replace(/:/g, '').toLowerCase();
    const all = await this.describeClientCertificateAuthorities({ dbInstanceIdentifier: inst.id });
    const found = all.find((c) => c.thumbprint === thumbprint);
    if (found?.source === 'tlsql') throw new AppError('InvalidParameterValue', `The region's tlsql client CA is always trusted; restrict accounts with REQUIRE ISSUER instead.`);
    if (!found || !this.repo.deleteClientCa(inst.resourceId, thumbprint)) {
      throw new AppError('ClientCertificateAuthorityNotFound', `DB instance ${inst.id} trusts no client CA with thumbprint ${thumbprint}.`);
    }
    this.shadows.delete(`${inst.resourceId}/${thumbprint}`);
    await this.applyTrust(inst, 'removed');
    this.log.info('client CA no longer trusted', { instance: inst.id, subject: found.subject, thumbprint });
    return found;
  }

  /**
   * Pushes the trust list to the live endpoint (new connections) and the engine (ssl_ca + FLUSH SSL).
   * A CA is added to the engine before the endpoint accepts its clients, and removed from the
   * endpoint before the engine, so no client is ever accepted at the door and refused on the link.
   */
  private applyTrust(inst: DbInstance, change: 'added' | 'removed'): Promise<void> {
    return this.trustLock.run(inst.id, async () => {
      if (!this.d.runtime.isServing(inst.id)) return; // applied when the endpoint next opens
      if (change === 'removed') this.d.runtime.setClientTrust(inst.id, await this.clientTrust(inst));
      await this.ensureEngineTrust(inst);
      if (change === 'added') this.d.runtime.setClientTrust(inst.id, await this.clientTrust(inst));
    });
  }
}

/** Meta key: the latest notAfter of the client certificates tlsql has issued in a region. */
function issuedUntilKey(region: string): string {
  return `client-certificates-issued-until/${region}`;
}

function shadowKeyLabel(resourceId: string, thumbprint: string): string {
  return `client-cas/${resourceId}/${thumbprint}.shadow.key`;
}

function caInfo(instanceId: string, pem: string, source: 'tlsql' | 'operator', crl: { url?: string; thisUpdate?: Date; nextUpdate?: Date | null } | null): ClientCertificateAuthorityInfo {
  const c = new X509Certificate(pem);
  return {
    crlUrl: crl?.url ?? null,
    crlThisUpdate: crl?.thisUpdate ?? null,
    crlNextUpdate: crl?.nextUpdate ?? null,
    dbInstanceIdentifier: instanceId,
    thumbprint: c.fingerprint256.replace(/:/g, '').toLowerCase(),
    subject: onelineName(c.subject),
    source,
    validTill: new Date(c.validTo),
    certificatePem: pem.trimEnd() + '\n',
  };
}
