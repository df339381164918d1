/**
 * How an IAM database account looks inside the engine, the one source of truth for it.
 *
 * `CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` is rewritten by the
 * front door to a native-password account whose password is derived from a per-instance secret
 * (HMAC of the account name), known only to tlsql. tlsql then marks the account by making
 * `AWSAuthenticationPlugin USING 'RDS'` its first authentication method, with the native password
 * as the second (MariaDB's `IDENTIFIED VIA a OR b`). MariaDB cannot load that plugin, so the first
 * method always fails and the engine falls through to the native one, which only tlsql can answer.
 * `SHOW CREATE USER` then reads
 *   CREATE USER `jane`@`%` IDENTIFIED VIA AWSAuthenticationPlugin USING 'RDS' OR mysql_native_password USING '*…'
 * which says what the account is; DROP/RENAME USER, dumps and restores keep the marker with the
 * account, so there is no tlsql-side list to keep in step.
 *
 * Security rests on the derived password, not on the marker: a marker set by hand (UPDATE on
 * mysql.global_priv, possible only with full privileges) only routes logins to the token check,
 * and the engine still refuses the front door unless the hash is the derived one.
 */
import { createHmac, hkdfSync } from 'node:crypto';

/** The RDS plugin name; MariaDB compares plugin names case-insensitively. */
export const IAM_PLUGIN = 'AWSAuthenticationPlugin';
/** The authentication string RDS documents (`AS 'RDS'`). */
export const IAM_AUTH_STRING = 'RDS';
const NATIVE = 'mysql_native_password';

/** The per-instance secret IAM account passwords are derived from (HKDF of the master key, bound to the DbiResourceId). */
export function instanceIamSecret(masterKey: Buffer, resourceId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.from(resourceId, 'utf8'), Buffer.from('tlsql iam-db-account-password v1', 'utf8'), 32));
}

/**
 * The engine password of IAM account `user@host` (host lower-cased, as MariaDB stores it):
 * base64url(HMAC-SHA256(instance secret, "user@host")). Never leaves the tlsql process.
 */
export function derivedPassword(secret: Buffer, user: string, host: string): string {
  return createHmac('sha256', secret).update(`${user}@${host.toLowerCase()}`, 'utf8').digest('base64url');
}

/** One row of mysql.global_priv, as read by the refresh query. */
export interface GlobalPrivRow {
  User: string;
  Host: string;
  Priv: string;
}

/** What tlsql makes of an engine account. */
export interface EngineAccount {
  user: string;
  host: string;
  /** An IAM account that logs in with tokens only. */
  iam: boolean;
  /**
   * When set, the Priv JSON tlsql must write for the account to be a well-formed IAM account:
   * an account just created by a rewritten statement (derived hash, no marker yet), or a marked
   * account whose hash is not derived from its current name (renamed, restored from a dump).
   */
  repairPriv: string | null;
}

interface AuthMethod {
  plugin: string;
  authentication_string?: string;
}

/** Authentication methods of a Priv JSON object, in the order MariaDB tries them. */
function methods(priv: Record<string, unknown>): AuthMethod[] {
  const top: AuthMethod = { plugin: String(priv.plugin ?? ''), authentication_string: String(priv.authentication_string ?? '') };
  const or = priv.auth_or;
  if (!Array.isArray(or)) return [top];
  return or.map((m) => (m && typeof m === 'object' && 'plugin' in m ? (m as AuthMethod) : top));
}

/**
 * Classifies one account. `expectedHash(user, host)` is the native hash of the derived password.
 * Returns null for roles (they cannot log in).
 */
export function classifyAccount(row: GlobalPrivRow, expectedHash: (user: string, host: string) => string): EngineAccount | null {
  let priv: Record<string, unknown>;
  try {
    priv = JSON.parse(row.Priv) as Record<string, unknown>;
  } catch {
    return { user: row.User, host: row.Host, iam: false, repairPriv: null };
  }
  if (priv.is_role) return null;
  const ms = methods(priv);
  const marked = ms.some((m) => m.plugin.toLowerCase() === IAM_PLUGIN.toLowerCase());
  const expected = expectedHash(row.User, row.Host);
  const nativeMatches = ms.some((m) => m.plugin === NATIVE && m.authentication_string === expected);
  // Anonymous accounts never take part in IAM: a token names a DB user.
  if (row.User === '') return { user: row.User, host: row.Host, iam: false, repairPriv: null };
  if (!marked && !nativeMatches) return { user: row.User, host: row.Host, iam: false, repairPriv: null };
  const canonical = ms.length === 2 && ms[0]!.plugin === IAM_PLUGIN && ms[0]!.authentication_string === IAM_AUTH_STRING && ms[1]!.plugin === NATIVE && nativeMatches;
  return { user: row.User, host: row.Host, iam: true, repairPriv: canonical ? null : JSON.stringify(iamPriv(priv, expected)) };
}

/** `priv` with its authentication replaced by AWSAuthenticationPlugin first, then the native hash. */
export function iamPriv(priv: Record<string, unknown>, nativeHash: string): Record<string, unknown> {
  return {
    ...priv,
    plugin: IAM_PLUGIN,
    authentication_string: IAM_AUTH_STRING,
    // `{}` stands for the top-level plugin; MariaDB tries the methods in this order.
    auth_or: [{}, { plugin: NATIVE, authentication_string: nativeHash }],
  };
}
