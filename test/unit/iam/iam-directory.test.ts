import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IamDirectory, ROOT_PRINCIPAL, isIamUserPrincipal } from '../../../src/iam/iam-directory.js';
import { connectPolicyDocument, dbUserArn } from '../../../src/iam/policy.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { Store } from '../../../src/store/store.js';

function directory() {
  const store = new Store(':memory:');
  return { store, iam: new IamDirectory({ store, masterKey: randomBytes(32), accountId: '123456789012', clock: new ManualClock() }) };
}

const arn = dbUserArn('us-east-1', '123456789012', 'db-X', 'jane');

describe('IAM directory', () => {
  it('creates users with IAM-shaped ids and refuses duplicates case-insensitively', () => {
    const { iam } = directory();
    const u = iam.createUser('Jane-App');
    expect(u).toMatchObject({ userName: 'Jane-App', arn: 'arn:aws:iam::123456789012:user/Jane-App' });
    expect(u.userId).toMatch(/^AIDA[A-Z2-7]{17}$/);
    expect(() => iam.createUser('jane-app')).toThrow(expect.objectContaining({ code: 'EntityAlreadyExists' }));
    expect(() => iam.createUser('bad name')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(iam.getUser('JANE-APP').userName).toBe('Jane-App');
  });

  it('stores secrets sealed, shows them once, and looks keys up for signature checks', () => {
    const { iam, store } = directory();
    iam.createUser('app');
    const k = iam.createAccessKey('app');
    expect(k.accessKeyId).toMatch(/^AKIA[A-Z2-7]{16}$/);
    expect(store.getAccessKey(k.accessKeyId)!.secretSealed.includes(Buffer.from(k.secretAccessKey))).toBe(false);
    expect(JSON.stringify(iam.listAccessKeys('app'))).not.toContain(k.secretAccessKey);
    expect(iam.lookupSigningKey(k.accessKeyId)).toEqual({ secretAccessKey: k.secretAccessKey, active: true, principal: 'arn:aws:iam::123456789012:user/app' });
    iam.updateAccessKey('app', k.accessKeyId, 'Inactive');
    expect(iam.lookupSigningKey(k.accessKeyId)!.active).toBe(false);
    iam.createAccessKey('app');
    expect(() => iam.createAccessKey('app')).toThrow(expect.objectContaining({ code: 'LimitExceeded' }));
    expect(() => iam.deleteUser('app')).toThrow(expect.objectContaining({ code: 'DeleteConflict' }));
    expect(() => iam.deleteAccessKey('other', k.accessKeyId)).toThrow(expect.objectContaining({ code: 'NoSuchEntity' }));
    expect(isIamUserPrincipal(iam.lookupSigningKey(k.accessKeyId)!.principal)).toBe(true);
  });

  it('authorizes rds-db:connect from the user policies; the root key may do everything', () => {
    const { iam } = directory();
    const u = iam.createUser('app');
    expect(iam.authorize(u.arn, 'rds-db:connect', arn)).toBe('implicit_deny');
    iam.putUserPolicy('app', 'connect', connectPolicyDocument([arn]));
    expect(iam.authorize(u.arn, 'rds-db:connect', arn)).toBe('allow');
    expect(iam.authorize(u.arn, 'rds-db:connect', arn.replace('/jane', '/bob'))).toBe('implicit_deny');
    expect(iam.authorize(ROOT_PRINCIPAL, 'rds-db:connect', arn)).toBe('allow');
    iam.deleteUserPolicy('app', 'connect');
    expect(iam.authorize(u.arn, 'rds-db:connect', arn)).toBe('implicit_deny');
    expect(() => iam.putUserPolicy('app', 'p', '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}}')).toThrow(
      expect.objectContaining({ code: 'MalformedPolicyDocument' }),
    );
  });
});
