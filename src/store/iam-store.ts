import type Database from 'better-sqlite3';
import type { IamAccessKeyRecord } from '../model/access-key.js';
import type { IamRoleRecord, OidcProviderRecord } from '../model/iam-role.js';
import type { IamUserRecord } from '../model/iam-user.js';
import type { Store } from './store.js';

/** SQLite repository of the IAM tables (iam_users, iam_user_policies, iam_roles, iam_role_policies, iam_oidc_providers) and the IAM users' rows of access_keys. */
export class IamStore {
  private readonly db: Database.Database;

  /** Prepared statements of the login path (key and policy lookups), prepared once. */
  private readonly hot = new Map<string, Database.Statement>();

  constructor(store: Store) {
    this.db = store.database;
  }

  private stmt(sql: string): Database.Statement {
    let st = this.hot.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.hot.set(sql, st);
    }
    return st;
  }

  /** An access key's row (any principal), for signature checks on the login path. */
  getAccessKey(accessKeyId: string): { accessKeyId: string; secretSealed: Buffer; principal: string; active: boolean } | null {
    const r = this.stmt('SELECT access_key_id, secret_sealed, principal, active FROM access_keys WHERE access_key_id = ?').get(accessKeyId) as Record<string, unknown> | undefined;
    return r ? { accessKeyId: r.access_key_id as string, secretSealed: r.secret_sealed as Buffer, principal: r.principal as string, active: r.active === 1 } : null;
  }

  /** False when a user with that name (case-insensitively) exists. */
  insertUser(u: IamUserRecord): boolean {
    try {
      this.db.prepare('INSERT INTO iam_users(user_name, user_id, arn, created_at) VALUES (?, ?, ?, ?)').run(u.userName, u.userId, u.arn, u.createdAt.toISOString());
      return true;
    } catch (e) {
      if (String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) return false;
      throw e;
    }
  }

  /** The user, matched case-insensitively as IAM does. */
  getUser(name: string): IamUserRecord | null {
    const r = this.db.prepare('SELECT * FROM iam_users WHERE lower(user_name) = lower(?)').get(name) as Record<string, string> | undefined;
    return r ? toUser(r) : null;
  }

  listUsers(): IamUserRecord[] {
    return (this.db.prepare('SELECT * FROM iam_users ORDER BY user_name').all() as Record<string, string>[]).map(toUser);
  }

  deleteUser(name: string): void {
    this.db.prepare('DELETE FROM iam_users WHERE user_name = ?').run(name);
  }

  listAccessKeys(principal: string): IamAccessKeyRecord[] {
    const rows = this.db.prepare('SELECT access_key_id, principal, active, created_at FROM access_keys WHERE principal = ? ORDER BY created_at, access_key_id').all(principal) as Record<string, unknown>[];
    return rows.map((r) => ({ accessKeyId: r.access_key_id as string, principal: r.principal as string, active: r.active === 1, createdAt: new Date(r.created_at as string) }));
  }

  /** False when the key does not belong to `principal`. */
  setAccessKeyActive(principal: string, accessKeyId: string, active: boolean): boolean {
    return this.db.prepare('UPDATE access_keys SET active = ? WHERE access_key_id = ? AND principal = ?').run(active ? 1 : 0, accessKeyId, principal).changes === 1;
  }

  /** False when the key does not belong to `principal`. */
  deleteAccessKey(principal: string, accessKeyId: string): boolean {
    return this.db.prepare('DELETE FROM access_keys WHERE access_key_id = ? AND principal = ?').run(accessKeyId, principal).changes === 1;
  }

  putPolicy(userName: string, policyName: string, document: string, now: Date): void {
    this.db
      .prepare('INSERT INTO iam_user_policies(user_name, policy_name, document, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(user_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at')
      .run(userName, policyName, document, now.toISOString());
  }

  getPolicy(userName: string, policyName: string): string | null {
    const r = this.db.prepare('SELECT document FROM iam_user_policies WHERE user_name = ? AND policy_name = ?').get(userName, policyName) as { document: string } | undefined;
    return r?.document ?? null;
  }

  /** Every inline policy of the user, by name. */
  listPolicies(userName: string): { policyName: string; document: string }[] {
    return (this.db.prepare('SELECT policy_name, document FROM iam_user_policies WHERE user_name = ? ORDER BY policy_name').all(userName) as { policy_name: string; document: string }[]).map((r) => ({
      policyName: r.policy_name,
      document: r.document,
    }));
  }

  /** Policies of the user whose ARN is `principal` (the access key's owner); empty for other principals. */
  policiesOfPrincipal(principal: string): string[] {
    return (this.stmt('SELECT p.document FROM iam_user_policies p JOIN iam_users u ON u.user_name = p.user_name WHERE u.arn = ?').all(principal) as { document: string }[]).map((r) => r.document);
  }

  /** False when there was no such policy. */
  deletePolicy(userName: string, policyName: string): boolean {
    return this.db.prepare('DELETE FROM iam_user_policies WHERE user_name = ? AND policy_name = ?').run(userName, policyName).changes === 1;
  }

  // --- roles -------------------------------------------------------------------------------

  /** False when a role with that name (case-insensitively) exists. */
  insertRole(r: IamRoleRecord): boolean {
    try {
      this.db
        .prepare('INSERT INTO iam_roles(role_name, role_id, arn, trust_policy, max_session_duration, description, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(r.roleName, r.roleId, r.arn, r.assumeRolePolicyDocument, r.maxSessionDuration, r.description, r.createdAt.toISOString());
      return true;
    } catch (e) {
      if (String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) return false;
      throw e;
    }
  }

  /** The role, matched case-insensitively as IAM does. */
  getRole(name: string): IamRoleRecord | null {
    const r = this.stmt('SELECT * FROM iam_roles WHERE lower(role_name) = lower(?)').get(name) as Record<string, unknown> | undefined;
    return r ? toRole(r) : null;
  }

  listRoles(): IamRoleRecord[] {
    return (this.db.prepare('SELECT * FROM iam_roles ORDER BY role_name').all() as Record<string, unknown>[]).map(toRole);
  }

  deleteRole(name: string): void {
    this.db.prepare('DELETE FROM iam_roles WHERE role_name = ?').run(name);
  }

  setTrustPolicy(roleName: string, document: string): void {
    this.db.prepare('UPDATE iam_roles SET trust_policy = ? WHERE role_name = ?').run(document, roleName);
  }

  putRolePolicy(roleName: string, policyName: string, document: string, now: Date): void {
    this.db
      .prepare('INSERT INTO iam_role_policies(role_name, policy_name, document, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(role_name, policy_name) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at')
      .run(roleName, policyName, document, now.toISOString());
  }

  getRolePolicy(roleName: string, policyName: string): string | null {
    const r = this.db.prepare('SELECT document FROM iam_role_policies WHERE role_name = ? AND policy_name = ?').get(roleName, policyName) as { document: string } | undefined;
    return r?.document ?? null;
  }

  listRolePolicies(roleName: string): { policyName: string; document: string }[] {
    return (this.stmt('SELECT policy_name, document FROM iam_role_policies WHERE role_name = ? ORDER BY policy_name').all(roleName) as { policy_name: string; document: string }[]).map((r) => ({
      policyName: r.policy_name,
      document: r.document,
    }));
  }

  /** False when there was no such policy. */
  deleteRolePolicy(roleName: string, policyName: string): boolean {
    return this.db.prepare('DELETE FROM iam_role_policies WHERE role_name = ? AND policy_name = ?').run(roleName, policyName).changes === 1;
  }

  // --- OpenID Connect providers ---------------------------------------------------------------

  /** False when a provider for that URL exists. */
  insertOidcProvider(p: OidcProviderRecord): boolean {
    try {
      this.db.prepare('INSERT INTO iam_oidc_providers(arn, url, client_ids, jwks, created_at) VALUES (?, ?, ?, ?, ?)').run(p.arn, p.url, JSON.stringify(p.clientIds), p.jwks, p.createdAt.toISOString());
      return true;
    } catch (e) {
      if (String((e as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) return false;
      throw e;
    }
  }

  getOidcProvider(arn: string): OidcProviderRecord | null {
    const r = this.stmt('SELECT * FROM iam_oidc_providers WHERE arn = ?').get(arn) as Record<string, string> | undefined;
    return r ? toOidcProvider(r) : null;
  }

  listOidcProviders(): OidcProviderRecord[] {
    return (this.db.prepare('SELECT * FROM iam_oidc_providers ORDER BY arn').all() as Record<string, string>[]).map(toOidcProvider);
  }

  /** False when there was no such provider. */
  deleteOidcProvider(arn: string): boolean {
    return this.db.prepare('DELETE FROM iam_oidc_providers WHERE arn = ?').run(arn).changes === 1;
  }
}

function toUser(r: Record<string, string>): IamUserRecord {
  return { userName: r.user_name!, userId: r.user_id!, arn: r.arn!, createdAt: new Date(r.created_at!) };
}

function toRole(r: Record<string, unknown>): IamRoleRecord {
  return {
    roleName: r.role_name as string,
    roleId: r.role_id as string,
    arn: r.arn as string,
    assumeRolePolicyDocument: r.trust_policy as string,
    maxSessionDuration: Number(r.max_session_duration),
    description: (r.description as string | null) ?? null,
    createdAt: new Date(r.created_at as string),
  };
}

function toOidcProvider(r: Record<string, string>): OidcProviderRecord {
  return { arn: r.arn!, url: r.url!, clientIds: JSON.parse(r.client_ids!) as string[], jwks: r.jwks!, createdAt: new Date(r.created_at!) };
}
