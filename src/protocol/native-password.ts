import { createHash } from 'node:crypto';

/**
 * mysql_native_password, the one place its SHA1 arithmetic lives: the hash the engine stores for
 * an account and the answer a client sends to the server's scramble. The engine module creates
 * accounts with the hash; the front door logs IAM users in to the engine with the answer.
 */

/** SHA1(password) and the stored hash derived from it: what a mysql_native_password login needs. */
export interface NativeCredential {
  /** SHA1(password), 20 bytes: the secret the scramble answer is built from. */
  stage1: Buffer;
  /** `*` + upper-case hex SHA1(stage1), as stored in mysql.global_priv. */
  hash: string;
}

/** SHA1(password) (UTF-8), and `*` + upper-case hex SHA1(SHA1(password)). */
export function nativeCredential(password: string): NativeCredential {
  const stage1 = createHash('sha1').update(password, 'utf8').digest();
  return { stage1, hash: '*' + createHash('sha1').update(stage1).digest('hex').toUpperCase() };
}

/**
 * The mysql_native_password hash of `password`: `*` + upper-case hex SHA1(SHA1(password)).
 * Accounts are created with `IDENTIFIED VIA mysql_native_password USING '<hash>'`, so a password
 * never appears in SQL text (process list, init file, logs) and needs no escaping. The hash is
 * not enough to log in with (the handshake needs SHA1(password)), though it allows guessing offline.
 */
export function nativePasswordHash(password: string): string {
  return nativeCredential(password).hash;
}

/**
 * mysql_native_password's answer to `scramble` (the first 20 bytes are used):
 * SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))), 20 bytes.
 */
export function scrambleNative(stage1: Buffer, scramble: Buffer): Buffer {
  const stage2 = createHash('sha1').update(stage1).digest();
  const mix = createHash('sha1').update(scramble.subarray(0, 20)).update(stage2).digest();
  const out = Buffer.allocUnsafe(20);
  for (let i = 0; i < 20; i++) out[i] = stage1[i]! ^ mix[i]!;
  return out;
}
