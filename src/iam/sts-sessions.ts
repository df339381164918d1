/**
 * Temporary credentials (STS) without a session table: the session token is the session itself,
 * sealed with AES-256-GCM under a key derived from the data dir's master key, bound to its access
 * key id (additional authenticated data). The secret access key is an HMAC of the access key id
 * under a second derived key, so nothing secret is stored at all and a login checks a session with
 * one decryption, no store or database round trip. A token from another installation (another
 * master key), or altered by one bit, does not open. Revoking a single session early is not
 * offered (as with AWS, where only the role's permissions can be taken away); deleting the role,
 * or changing its policies, applies at the next login.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const VERSION = 1;

/** What a session is: who it acts as, until when, narrowed by which session policy. */
export interface StsSession {
  accessKeyId: string;
  /** `assumed-role` (AssumeRole, AssumeRoleWithWebIdentity) or `user` (GetSessionToken). */
  kind: 'assumed-role' | 'user';
  /** The ARN the session acts as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, or the user's ARN (or `root`). */
  principal: string;
  /** For assumed roles: the role's name and RoleId (a role deleted and re-created has another id). */
  roleName?: string;
  roleId?: string;
  /** The session policy (JSON text) that narrows the role's permissions. */
  sessionPolicy?: string;
  /** Milliseconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

/** Why a session token was not accepted. */
export type SessionRefusal = 'unknown_session' | 'session_expired';

export class SessionTokens {
  private readonly sealKey: Buffer;
  private readonly secretKey: Buffer;
  /** Opened tokens by token text; bounded, cleared when full. */
  private readonly opened = new Map<string, StsSession>();

  constructor(masterKey: Buffer) {
    this.sealKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), Buffer.from('tlsql sts session-token v1', 'utf8'), 32));
    this.secretKey = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), Buffer.from('tlsql sts secret-access-key v1', 'utf8'), 32));
  }

  /** A new access key id, `ASIA` + 16 base32 characters, as STS's. */
  static newAccessKeyId(): string {
    return `ASIA${Array.from(randomBytes(16), (b) => BASE32[b & 31]).join('')}`;
  }

  /** The secret access key of a temporary access key id (40 characters, like AWS's). */
  secretFor(accessKeyId: string): string {
    return createHmac('sha256', this.secretKey).update(accessKeyId, 'utf8').digest('base64').slice(0, 40);
  }

  /** Seals a session into its token (base64, as AWS session tokens). */
  seal(s: StsSession): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.sealKey, iv);
    c.setAAD(Buffer.from(s.accessKeyId, 'utf8'));
    const body = Buffer.concat([c.update(deflateRawSync(Buffer.from(JSON.stringify(s), 'utf8'))), c.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, c.getAuthTag(), body]).toString('base64');
  }

  /**
   * Opens a token presented with `accessKeyId`; returns the session or the refusal reason. A
   * token of another installation, of another access key, or altered, is `unknown_session`.
   */
  open(accessKeyId: string, token: string, now: Date): StsSession | SessionRefusal {
    let s = this.opened.get(token);
    if (!s) {
      const opened = this.unseal(accessKeyId, token);
      if (!opened) return 'unknown_session';
      s = opened;
      if (this.opened.size >= 10_000) this.opened.clear();
      this.opened.set(token, s);
    }
    if (s.accessKeyId !== accessKeyId) return 'unknown_session';
    if (now.getTime() >= s.expiresAt) return 'session_expired';
    return s;
  }

  private unseal(accessKeyId: string, token: string): StsSession | null {
    if (!accessKeyId.startsWith('ASIA') || token.length > 16_384 || !/^[A-Za-z0-9+/=_-]+$/.test(token)) return null;
    const raw = Buffer.from(token, 'base64');
    if (raw.length < 1 + 12 + 16 + 1 || raw[0] !== VERSION) return null;
    try {
      const d = createDecipheriv('aes-256-gcm', this.sealKey, raw.subarray(1, 13));
      d.setAAD(Buffer.from(accessKeyId, 'utf8'));
      d.setAuthTag(raw.subarray(13, 29));
      const plain = Buffer.concat([d.update(raw.subarray(29)), d.final()]);
      const s = JSON.parse(inflateRawSync(plain).toString('utf8')) as StsSession;
      return s.accessKeyId === accessKeyId ? s : null;
    } catch {
      return null;
    }
  }
}
