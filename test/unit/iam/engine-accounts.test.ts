import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyAccount, derivedPassword, iamPriv, instanceIamSecret, nativeCredential, scrambleNative } from '../../../src/iam/engine-accounts.js';

const sha1 = (...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), createHash('sha1')).digest();

/** The MySQL 4.1 scramble, written out from the protocol documentation: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
function reference(password: string, scramble: Buffer): Buffer {
  const s1 = sha1(Buffer.from(password));
  const mix = sha1(scramble, sha1(s1));
  return Buffer.from(s1.map((b, i) => b ^ mix[i]!));
}

describe('IAM accounts in the engine', () => {
  it('derives a stable per-instance, per-account password', () => {
    const key = randomBytes(32);
    const a = instanceIamSecret(key, 'db-AAA');
    expect(derivedPassword(a, 'jane', '%')).toBe(derivedPassword(instanceIamSecret(key, 'db-AAA'), 'jane', '%'));
    expect(derivedPassword(a, 'jane', 'LOCALHOST')).toBe(derivedPassword(a, 'jane', 'localhost'));
    expect(derivedPassword(a, 'jane', '%')).not.toBe(derivedPassword(a, 'Jane', '%'));
    expect(derivedPassword(a, 'jane', '%')).not.toBe(derivedPassword(instanceIamSecret(key, 'db-BBB'), 'jane', '%'));
  });

  it('answers a scramble exactly as mysql_native_password clients do', () => {
    const scramble = randomBytes(20);
    const c = nativeCredential('s3cret');
    expect(scrambleNative(c.stage1, scramble).equals(reference('s3cret', scramble))).toBe(true);
    expect(c.hash).toBe('*B865CAE8F340F6CE1485A06F4492BB49718DF1EC');
  });

  it('recognises IAM accounts in both the form tlsql writes and the form MariaDB rewrites it to', () => {
    const hash = nativeCredential('x').hash;
    const expected = () => hash;
    const ours = JSON.stringify(iamPriv({ access: 0 }, hash));
    const mariadbs = JSON.stringify({ access: 0, plugin: 'mysql_native_password', authentication_string: hash, auth_or: [{ plugin: 'AWSAuthenticationPlugin', authentication_string: 'RDS' }, {}] });
    for (const Priv of [ours, mariadbs]) expect(classifyAccount({ User: 'jane', Host: '%', Priv }, expected)).toEqual({ user: 'jane', host: '%', iam: true, repairPriv: null });
  });

  it('marks a freshly rewritten account, repairs a renamed one, and leaves others alone', () => {
    const hash = nativeCredential('x').hash;
    const fresh = classifyAccount({ User: 'jane', Host: '%', Priv: JSON.stringify({ plugin: 'mysql_native_password', authentication_string: hash }) }, () => hash);
    expect(fresh?.iam).toBe(true);
    expect(JSON.parse(fresh!.repairPriv!)).toMatchObject({ plugin: 'AWSAuthenticationPlugin', authentication_string: 'RDS', auth_or: [{}, { plugin: 'mysql_native_password', authentication_string: hash }] });
    const renamed = classifyAccount({ User: 'jim', Host: '%', Priv: JSON.stringify(iamPriv({}, '*OLD')) }, () => hash);
    expect(JSON.parse(renamed!.repairPriv!).auth_or[1].authentication_string).toBe(hash);
    expect(classifyAccount({ User: 'bob', Host: '%', Priv: JSON.stringify({ plugin: 'mysql_native_password', authentication_string: '*OTHER' }) }, () => hash)).toMatchObject({ iam: false, repairPriv: null });
    expect(classifyAccount({ User: '', Host: '%', Priv: JSON.stringify(iamPriv({}, hash)) }, () => hash)).toMatchObject({ iam: false });
    expect(classifyAccount({ User: 'r', Host: '', Priv: JSON.stringify({ is_role: true }) }, () => hash)).toBeNull();
  });
});
