import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyAccount, derivedPassword, iamPriv, instanceIamSecret } from '../../../src/iam/engine-accounts.js';
import { nativeCredential } from '../../../src/protocol/native-password.js';

describe('IAM accounts in the engine', () => {
  it('derives a stable per-instance, per-account password', () => {
    const key = randomBytes(32);
    const a = instanceIamSecret(key, 'db-AAA');
    expect(derivedPassword(a, 'jane', '%')).toBe(derivedPassword(instanceIamSecret(key, 'db-AAA'), 'jane', '%'));
    expect(derivedPassword(a, 'jane', 'LOCALHOST')).toBe(derivedPassword(a, 'jane', 'localhost'));
    expect(derivedPassword(a, 'jane', '%')).not.toBe(derivedPassword(a, 'Jane', '%'));
    expect(derivedPassword(a, 'jane', '%')).not.toBe(derivedPassword(instanceIamSecret(key, 'db-BBB'), 'jane', '%'));
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
