import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nativeCredential, nativePasswordHash, scrambleNative } from '../../../src/protocol/native-password.js';

const sha1 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha1')).digest();

/** The MySQL 4.1 scramble, written out from the protocol documentation: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
function reference(password: string, scramble: Buffer): Buffer {
  const s1 = sha1(Buffer.from(password));
  const mix = sha1(scramble, sha1(s1));
  return Buffer.from(s1.map((b, i) => b ^ mix[i]!));
}

describe('mysql_native_password', () => {
  it('answers a scramble exactly as mysql_native_password clients do', () => {
    const scramble = randomBytes(20);
    const c = nativeCredential('s3cret');
    expect(scrambleNative(c.stage1, scramble).equals(reference('s3cret', scramble))).toBe(true);
    expect(c.hash).toBe('*B865CAE8F340F6CE1485A06F4492BB49718DF1EC');
  });

  it('hashes the UTF-8 bytes of a password the way MariaDB stores it', () => {
    // test/integration/engine/local-mariadb-provision.test.ts compares the hash with a live server's.
    expect(nativePasswordHash('pässwörd')).toBe('*' + sha1(sha1(Buffer.from('pässwörd', 'utf8'))).toString('hex').toUpperCase());
  });
});
