/**
 * IAM database authentication at the front door (docs/design.md "IAM accounts", docs/iam.md).
 *
 * Per instance, an `IamGate` knows whether IAM authentication is enabled (live: ModifyDBInstance
 * flips it for the next login), which engine accounts are IAM accounts (read from the engine,
 * where the account carries its own marker; see iam/engine-accounts.ts), and how to verify a
 * token for this endpoint. A login runs in two phases: `iamAuthenticateClient` (TLS only, switch the
 * client to mysql_clear_password, verify the token and the policy) while the engine link is still
 * being set up, then `iamEngineLogin` (log in to the engine with the account's derived password
 * against the engine's own scramble, and relay the engine's OK).
 *
 * The account list is cached and refreshed only after something may have changed it (an account
 * statement went through an IAM-enabled endpoint, the engine refused a derived password, start-up),
 * so ordinary logins never wait for the engine. Refusals say only "access denied" to the client;
 * the log and `counters` carry the precise reason.
 */
import type { Duplex } from 'node:stream';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { TokenRefusedError, verifyDbAuthToken, type TokenRefusal, type TokenSigningKey } from '../iam/db-auth-token.js';
import { classifyAccount, derivedPassword, type EngineAccount, type GlobalPrivRow } from '../iam/engine-accounts.js';
import { RDS_DB_CONNECT, dbUserArn, evaluatePolicies, type ParsedPolicy, type PolicyDecision } from '../iam/policy.js';
import { AccountIndex } from './account-match.js';
import { rewriteIamClauses } from './account-statements.js';
import { PacketChannel } from '../protocol/packet-channel.js';
import { encodeAuthSwitchRequest, parseAuthSwitchRequest } from '../protocol/auth-switch.js';
import { CLIENT_PLUGIN_AUTH, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, CLIENT_SECURE_CONNECTION, hasCap } from '../protocol/capabilities.js';
import { parseErrPacket } from '../protocol/err-packet.js';
import { encodePacket } from '../protocol/framing.js';
import { encodeHandshakeResponse, type HandshakeResponse } from '../protocol/handshake-response.js';
import { nativeCredential, scrambleNative, type NativeCredential } from '../protocol/native-password.js';

/** Why an IAM login was refused: the token's reasons plus the front door's own. */
export type IamRefusal =
  | TokenRefusal
  /** The client connected without TLS: the token is never asked for. */
  | 'plaintext'
  /** The client sent no token (empty clear password), or cannot switch plugins. */
  | 'no_token'
  /** No policy of the key's owner allows rds-db:connect on this DB user. */
  | 'no_policy'
  /** A policy explicitly denies it. */
  | 'denied_by_policy'
  /** The role allows it, but the session policy of the temporary credentials does not. */
  | 'session_policy_denies'
  /** The engine refused the derived password (account changed outside tlsql?). */
  | 'engine_refused'
  /** The engine answered something unexpected during the login. */
  | 'engine_protocol';

/** Every refusal reason, for metrics (a counter per reason, zeros included). */
export const IAM_REFUSALS: readonly IamRefusal[] = [
  'plaintext', 'no_token', 'malformed', 'bad_action', 'bad_scope', 'wrong_region', 'wrong_user', 'wrong_host', 'wrong_port', 'bad_expires', 'expired',
  'not_yet_valid', 'unknown_session', 'session_expired', 'role_deleted', 'missing_session_token', 'unknown_key', 'inactive_key', 'bad_signature', 'no_policy',
  'denied_by_policy', 'session_policy_denies', 'engine_refused', 'engine_protocol',
];

/** Who may sign tokens and what they are allowed: the IAM directory, as the gate needs it. */
export interface IamIdentity {
  lookupSigningKey(accessKeyId: string): TokenSigningKey | null;
  /** A temporary key from its session token, without a store round trip; throws TokenRefusedError. */
  lookupSession(accessKeyId: string, sessionToken: string): TokenSigningKey & { expiresAt: Date; sessionPolicy: ParsedPolicy | null };
  authorize(principal: string, action: string, resource: string): PolicyDecision;
}

export interface IamGateOptions {
  instanceId: string;
  /** DbiResourceId: part of the policy resource ARN. */
  resourceId: string;
  region: string;
  accountId: string;
  /** The endpoint a token must name. */
  endpoint: { address: string; port: number };
  /** Initial state; ModifyDBInstance changes it with `setEnabled`. */
  enabled: boolean;
  /** The instance's IAM secret (iam/engine-accounts.ts instanceIamSecret). */
  secret: Buffer;
  identity: IamIdentity;
  /** Runs `fn` on an engine admin connection. */
  admin<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
  clock: Clock;
  /** Tolerance for tokens dated in the future, in ms. */
  clockSkewMs: number;
  logger: Logger;
}

/** Counters for metrics. */
export interface IamCounters {
  logins: number;
  refusals: Map<IamRefusal, number>;
  /** CREATE/ALTER USER statements rewritten to IAM accounts. */
  rewrites: number;
  /** Reads of the engine's account list. */
  refreshes: number;
}

export class IamGate {
  private enabledFlag: boolean;
  readonly counters: IamCounters = { logins: 0, refusals: new Map(), rewrites: 0, refreshes: 0 };
  /** Bumped whenever the engine's accounts may have changed; the cache is valid for one generation. */
  private generation = 1;
  private cachedGeneration = 0;
  private index: AccountIndex<EngineAccount> | null = null;
  private inflight: Promise<void> | null = null;
  private readonly credentials = new Map<string, NativeCredential>();

  constructor(readonly opts: IamGateOptions) {
    this.enabledFlag = opts.enabled;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  /** Applies at once: the next login and the next account statement see it. */
  setEnabled(enabled: boolean): void {
    if (enabled !== this.enabledFlag) this.opts.logger.info('IAM database authentication ' + (enabled ? 'enabled' : 'disabled'), { instance: this.opts.instanceId });
    this.enabledFlag = enabled;
    if (enabled) this.markDirty();
  }

  /** The engine's accounts may have changed: the next login that needs them reads them again. */
  markDirty(): void {
    this.generation++;
  }

  /** The derived native credential of IAM account `user@host`. */
  credentialFor(user: string, host: string): NativeCredential {
    const key = `${user}\0${host}`;
    let c = this.credentials.get(key);
    if (!c) {
      c = nativeCredential(derivedPassword(this.opts.secret, user, host));
      if (this.credentials.size > 10_000) this.credentials.clear();
      this.credentials.set(key, c);
    }
    return c;
  }

  /**
   * The IAM account a login as `user` from `ip` would authenticate as, or null when IAM is off or
   * the engine would pick a password account (then the login goes to the engine untouched).
   */
  async route(user: string, ip: string): Promise<EngineAccount | null> {
    if (!this.enabledFlag) return null;
    if (this.cachedGeneration !== this.generation) {
      try {
        await this.refresh();
      } catch (e) {
        this.opts.logger.warn('reading the engine account list failed; using the previous one', { instance: this.opts.instanceId, err: e as Error });
      }
    }
    const account = this.index?.hasUser(user) ? this.index.match(user, ip) : null;
    return account?.iam ? account : null;
  }

  /**
   * Reads the engine's accounts, makes accounts created by a rewritten statement (or renamed, or
   * restored) well-formed IAM accounts, and rebuilds the index. Concurrent callers share one read.
   */
  async refresh(): Promise<void> {
    while (this.cachedGeneration !== this.generation) {
      this.inflight ??= this.readAccounts().finally(() => {
        this.inflight = null;
      });
      await this.inflight;
    }
  }

  private async readAccounts(): Promise<void> {
    const generation = this.generation;
    this.counters.refreshes++;
    const accounts = await this.opts.admin(async (c) => {
      // As text: mysql2 would otherwise parse the JSON column, and the compare-and-set below needs the exact text.
      const [rows] = await c.query<RowDataPacket[]>('SELECT User, Host, CAST(Priv AS CHAR CHARACTER SET utf8mb4) AS Priv FROM mysql.global_priv');
      const list: EngineAccount[] = [];
      let repaired = 0;
      for (const row of rows as unknown as GlobalPrivRow[]) {
        const a = classifyAccount({ User: String(row.User), Host: String(row.Host), Priv: String(row.Priv) }, (u, h) => this.credentialFor(u, h).hash);
        if (!a) continue;
        if (a.repairPriv !== null) {
          const [r] = await c.query('UPDATE mysql.global_priv SET Priv = ? WHERE User = ? AND Host = ? AND Priv = ?', [a.repairPriv, a.user, a.host, String(row.Priv)]);
          const changed = (r as { affectedRows?: number }).affectedRows ?? 0;
          if (changed) {
            repaired++;
            this.opts.logger.info('IAM database account recorded in the engine', { instance: this.opts.instanceId, user: a.user, host: a.host });
          } else {
            // Changed meanwhile; the next refresh looks again.
            this.markDirty();
            a.iam = false;
          }
        }
        list.push(a);
      }
      if (repaired) await c.query('FLUSH PRIVILEGES');
      return list;
    });
    this.index = new AccountIndex(accounts);
    this.cachedGeneration = generation;
    this.opts.logger.debug('engine account list read', { instance: this.opts.instanceId, accounts: accounts.length, iamAccounts: accounts.filter((a) => a.iam).map((a) => `${a.user}@${a.host}`) });
  }

  /**
   * Rewrites the IAM clauses of a COM_QUERY text (Latin-1 view of its bytes) to the derived
   * native password; null when there is nothing to rewrite (or IAM is off: the engine then answers
   * 1524 "Plugin 'AWSAuthenticationPlugin' is not loaded" itself).
   */
  rewriteQuery(sql: string): string | null {
    if (!this.enabledFlag) return null;
    const r = rewriteIamClauses(sql, (c) => `IDENTIFIED VIA mysql_native_password USING '${this.credentialFor(c.user, c.host).hash}'`);
    if (!r) return null;
    // Anonymous IAM accounts make no sense (a token names a user): leave the statement to the engine.
    if (r.accounts.some((a) => a.user === '')) return null;
    this.counters.rewrites++;
    this.markDirty();
    this.opts.logger.info('IAM account statement rewritten', { instance: this.opts.instanceId, accounts: r.accounts.map((a) => `${a.user}@${a.host}`) });
    return r.sql;
  }

  refused(reason: IamRefusal): void {
    this.counters.refusals.set(reason, (this.counters.refusals.get(reason) ?? 0) + 1);
  }
}

/** What both phases of an IAM login need. */
interface IamLoginCommon {
  gate: IamGate;
  account: EngineAccount;
  /** The client side (TLS socket). */
  client: Duplex;
  response: HandshakeResponse;
  clientAddress: string;
  sessionId: string;
}

export interface IamClientPhaseParams extends IamLoginCommon {
  /** The client's packet channel, still attached. */
  clientCh: PacketChannel;
  /** Whether the client negotiated TLS. */
  tls: boolean;
  /** Sequence id of the client's HandshakeResponse. */
  responseSeq: number;
}

export interface IamEnginePhaseParams extends IamLoginCommon {
  /** The token check's result. */
  verified: { principal: string; accessKeyId: string };
  /** Sequence id of the last packet exchanged with the client. */
  clientSeq: number;
  /** The engine side, ready for the HandshakeResponse; it expects the client's HandshakeResponse sequence id. */
  engine: Duplex;
  responseSeq: number;
  /** The engine's scramble from its greeting. */
  scramble: Buffer;
  maxPacketBytes: number;
}

type Refused = { ok: false; clientSeq: number; reason: IamRefusal; detail: string };
export type IamClientPhaseResult = { ok: true; clientSeq: number; verified: { principal: string; accessKeyId: string } } | Refused;
export type IamLoginResult = { ok: true; clientSeq: number } | Refused;

const CLEAR_PASSWORD = 'mysql_clear_password';
const NATIVE_PASSWORD = 'mysql_native_password';

function refusal(p: IamLoginCommon, clientSeq: number, reason: IamRefusal, detail: string, accessKeyId: string | null = null): Refused {
  const o = p.gate.opts;
  p.gate.refused(reason);
  o.logger.info('IAM login refused', { instance: o.instanceId, session: p.sessionId, client: p.clientAddress, user: p.response.username, account: `${p.account.user}@${p.account.host}`, reason, detail, accessKeyId });
  return { ok: false, clientSeq, reason, detail };
}

/**
 * Phase 1 of an IAM login, needing only the client (so it runs while the engine link's TLS
 * handshake is still under way): TLS check, the token (from the HandshakeResponse when the client
 * already used mysql_clear_password, else after an AuthSwitchRequest), its verification and the
 * policy. Never throws for a refusal: returns the reason, and the caller answers 1045.
 */
export async function iamAuthenticateClient(p: IamClientPhaseParams): Promise<IamClientPhaseResult> {
  const o = p.gate.opts;
  const user = p.response.username;
  let clientSeq = p.responseSeq;
  if (!p.tls) return refusal(p, clientSeq, 'plaintext', 'IAM accounts log in over TLS only; the token was not asked for');

  let tokenBytes: Buffer;
  if (p.response.authPluginName === CLEAR_PASSWORD && p.response.authResponse.length > 0) {
    tokenBytes = p.response.authResponse;
  } else {
    if (!hasCap(p.response.capabilityFlags, CLIENT_PLUGIN_AUTH)) return refusal(p, clientSeq, 'no_token', 'client does not support authentication plugins (CLIENT_PLUGIN_AUTH)');
    p.client.write(encodePacket((clientSeq + 1) & 0xff, encodeAuthSwitchRequest({ pluginName: CLEAR_PASSWORD, pluginData: Buffer.alloc(0) })));
    const reply = await p.clientCh.read();
    clientSeq = reply.seq;
    tokenBytes = reply.payload;
  }
  if (tokenBytes.length > 0 && tokenBytes[tokenBytes.length - 1] === 0) tokenBytes = tokenBytes.subarray(0, tokenBytes.length - 1);
  if (tokenBytes.length === 0) return refusal(p, clientSeq, 'no_token', 'empty password: the client sent no token (mysql2 needs enableCleartextPlugin, the mysql client --enable-cleartext-plugin)');

  let verified;
  try {
    verified = await verifyDbAuthToken(tokenBytes.toString('utf8'), {
      user,
      host: o.endpoint.address,
      port: o.endpoint.port,
      region: o.region,
      now: o.clock.now(),
      clockSkewMs: o.clockSkewMs,
      lookupKey: (id) => o.identity.lookupSigningKey(id),
      lookupSession: (id, token) => o.identity.lookupSession(id, token),
    });
  } catch (e) {
    if (e instanceof TokenRefusedError) return refusal(p, clientSeq, e.reason, e.detail, e.accessKeyId);
    throw e;
  }
  const resource = dbUserArn(o.region, o.accountId, o.resourceId, user);
  const decision = o.identity.authorize(verified.principal, RDS_DB_CONNECT, resource);
  if (decision !== 'allow') {
    return refusal(p, clientSeq, decision === 'explicit_deny' ? 'denied_by_policy' : 'no_policy', `${verified.principal} is not allowed ${RDS_DB_CONNECT} on ${resource}`, verified.accessKeyId);
  }
  // A session policy narrows the role: both must allow (docs/iam.md "Roles and temporary credentials").
  if (verified.sessionPolicy && evaluatePolicies([verified.sessionPolicy], RDS_DB_CONNECT, resource) !== 'allow') {
    return refusal(p, clientSeq, 'session_policy_denies', `the session policy of ${verified.principal} does not allow ${RDS_DB_CONNECT} on ${resource}`, verified.accessKeyId);
  }
  return { ok: true, clientSeq, verified: { principal: verified.principal, accessKeyId: verified.accessKeyId } };
}

/**
 * Phase 2: the front door logs in to the engine with the account's derived password against the
 * engine's own scramble (answering a native-password auth switch if the engine sends one), then
 * relays the engine's OK to the client with the client's next sequence id.
 */
export async function iamEngineLogin(p: IamEnginePhaseParams): Promise<IamLoginResult> {
  const g = p.gate;
  const o = g.opts;
  let clientSeq = p.clientSeq;
  const keyId = p.verified.accessKeyId;
  const flags = p.response.capabilityFlags;
  if (!hasCap(flags, CLIENT_SECURE_CONNECTION) && !hasCap(flags, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
    return refusal(p, clientSeq, 'engine_protocol', 'client uses the pre-4.1 NUL-terminated auth response, which cannot carry a scramble', keyId);
  }
  const cred = g.credentialFor(p.account.user, p.account.host);
  const engineResponse: HandshakeResponse = {
    ...p.response,
    authResponse: scrambleNative(cred.stage1, p.scramble),
    authResponseLengthWidth: 1,
    authPluginName: hasCap(flags, CLIENT_PLUGIN_AUTH) ? NATIVE_PASSWORD : p.response.authPluginName,
  };
  const engineCh = new PacketChannel(p.engine, p.maxPacketBytes);
  let released = false;
  const release = () => {
    if (released) return Buffer.alloc(0);
    released = true;
    return engineCh.release();
  };
  try {
    p.engine.write(encodePacket(p.responseSeq, encodeHandshakeResponse(engineResponse)));
    for (let round = 0; round < 4; round++) {
      const reply = await engineCh.read();
      const kind = reply.payload[0];
      if (kind === 0x00) {
        const leftover = release();
        clientSeq = (clientSeq + 1) & 0xff;
        const ok = encodePacket(clientSeq, reply.payload);
        p.client.write(leftover.length ? Buffer.concat([ok, leftover]) : ok);
        g.counters.logins++;
        o.logger.info('IAM login', { instance: o.instanceId, session: p.sessionId, client: p.clientAddress, user: p.response.username, account: `${p.account.user}@${p.account.host}`, principal: p.verified.principal, accessKeyId: keyId });
        return { ok: true, clientSeq };
      }
      if (kind === 0xff) {
        g.markDirty();
        return refusal(p, clientSeq, 'engine_refused', `the engine refused the derived password for ${p.account.user}@${p.account.host}: ${safeErr(reply.payload)}`, keyId);
      }
      if (kind === 0xfe) {
        const sw = parseAuthSwitchRequest(reply.payload);
        if (sw.pluginName !== NATIVE_PASSWORD) {
          g.markDirty();
          return refusal(p, clientSeq, 'engine_protocol', `the engine asked for plugin ${sw.pluginName ?? '(old password)'}`, keyId);
        }
        p.engine.write(encodePacket((reply.seq + 1) & 0xff, scrambleNative(cred.stage1, sw.pluginData)));
        continue;
      }
      return refusal(p, clientSeq, 'engine_protocol', `unexpected packet 0x${(kind ?? 0).toString(16)} from the engine`, keyId);
    }
    return refusal(p, clientSeq, 'engine_protocol', 'the engine did not finish the login', keyId);
  } finally {
    release();
  }
}

function safeErr(payload: Buffer): string {
  try {
    const e = parseErrPacket(payload);
    return `${e.code} ${e.message}`;
  } catch {
    return 'malformed ERR packet';
  }
}
