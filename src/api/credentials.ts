/**
 * Where the API looks up SigV4 access keys. The store owns the keys (iam/ or config/); the API
 * only asks for one key at a time and never lists them.
 */

/** What the store knows about one access key. */
export interface AccessKeyRecord {
  secretAccessKey: string;
  /** An inactive key is refused like an unknown one (InvalidClientTokenId). */
  active: boolean;
  /** Who the key belongs to; logged with each request and passed to actions. Not secret. */
  principal: string;
  /** A temporary key (ASIA...): refused without its X-Amz-Security-Token. */
  requiresSessionToken?: boolean;
}

export interface CredentialStore {
  /** The key's record, or null when the store has no such key. */
  lookup(accessKeyId: string): Promise<AccessKeyRecord | null>;
  /**
   * Validates a temporary-credential session token (`X-Amz-Security-Token`) for `accessKeyId`;
   * `{ principal, secretAccessKey }` names who the session acts as and the key's secret (else the
   * key's own). May throw an
   * AppError (ExpiredToken). Optional: a store without it does not issue temporary credentials,
   * and requests carrying a token are refused with InvalidClientTokenId.
   */
  verifySessionToken?(accessKeyId: string, sessionToken: string): Promise<boolean | { principal: string; secretAccessKey?: string }>;
}

/**
 * A store over a fixed list of keys (all active); for `tlsql server` with a single configured
 * key and for tests. The list is copied, so later changes to the argument have no effect.
 */
export function staticCredentialStore(keys: ReadonlyArray<{ accessKeyId: string; secretAccessKey: string; principal?: string }>): CredentialStore {
  const byId = new Map(keys.map((k) => [k.accessKeyId, { secretAccessKey: k.secretAccessKey, active: true, principal: k.principal ?? k.accessKeyId }]));
  return {
    lookup: async (accessKeyId) => byId.get(accessKeyId) ?? null,
  };
}
