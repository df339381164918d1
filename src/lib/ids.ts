import { randomBytes, randomInt } from 'node:crypto';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** `db-` + 26 upper-case base32 characters, like RDS's DbiResourceId. */
export function newResourceId(): string {
  return 'db-' + Array.from(randomBytes(26), (b) => BASE32[b & 31]).join('');
}

/** 12 lower-case alphanumerics: the per-account-and-region part of every endpoint name, as in RDS. */
export function newEndpointSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from({ length: 12 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

/** A 12-digit account id for ARNs. */
export function newAccountId(): string {
  return String(randomInt(100_000_000_000, 999_999_999_999));
}
