import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IamDirectory, ROOT_PRINCIPAL } from '../../../src/iam/iam-directory.js';
import { SessionTokens } from '../../../src/iam/sts-sessions.js';
import { evaluateTrust, parseTrustPolicy } from '../../../src/iam/trust-policy.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { Store } from '../../../src/store/store.js';

const ACCOUNT = '123456789012';

function directory(masterKey = randomBytes(32)) {
  const clock = new ManualClock();
  const store = new Store(':memory:');
  return { clock, store, iam: new IamDirectory({ store, masterKey, accountId: ACCOUNT, clock }) };
}

const trust = (principal: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: principal, Action: 'sts:AssumeRole', ...extra }] });
const userArn = (n: string) => `arn:aws:iam::${ACCOUNT}:user/${n}`;

describe('trust policies', () => {
  it('matches the named user exactly, or the account (then flagged for the caller’s own policy)', () => {
    const byUser = parseTrustPolicy(trust({ AWS: userArn('ci') }));
    const req = (arn: string) => ({ action: 'sts:AssumeRole', accountId: ACCOUNT, awsPrincipals: [arn], context: new Map() });
    expect(evaluateTrust(byUser, req(userArn('ci')))).toEqual({ decision: 'allow', viaAccount: false });
    expect(evaluateTrust(byUser, req(userArn('other'))).decision).toBe('implicit_deny');
    const byAccount = parseTrustPolicy(trust({ AWS: ACCOUNT }));
    expect(evaluateTrust(byAccount, req(userArn('other')))).toEqual({ decision: 'allow', viaAccount: true });
    expect(evaluateTrust(parseTrustPolicy(trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` })), req(userArn('x'))).viaAccount).toBe(true);
    expect(evaluateTrust(byAccount, { ...req(userArn('x')), action: 'sts:AssumeRoleWithWebIdentity' }).decision).toBe('implicit_deny');
  });

  it('evaluates StringEquals / StringLike conditions (any value matches; every key must) and lets an explicit Deny win', () => {
    const p = parseTrustPolicy(
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.test` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { 'IDP.test:aud': ['a', 'b'] }, StringLike: { 'idp.test:sub': 'repo:acme/*' } } },
          { Effect: 'Deny', Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.test` }, Action: 'sts:*', Condition: { StringEquals: { 'idp.test:sub': 'repo:acme/banned' } } },
        ],
      }),
    );
    const req = (sub: string, aud: string) => ({
      action: 'sts:AssumeRoleWithWebIdentity',
      accountId: ACCOUNT,
      awsPrincipals: [],
      federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/idp.test`,
      context: new Map([['idp.test:sub', [sub]], ['idp.test:aud', [aud]]]),
    });
    expect(evaluateTrust(p, req('repo:acme/shop', 'b')).decision).toBe('allow');
    expect(evaluateTrust(p, req('repo:acme/shop', 'c')).decision).toBe('implicit_deny');
    expect(evaluateTrust(p, req('repo:evil/shop', 'a')).decision).toBe('implicit_deny');
    expect(evaluateTrust(p, req('repo:acme/banned', 'a')).decision).toBe('explicit_deny');
    expect(evaluateTrust(p, { ...req('repo:acme/shop', 'a'), federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/other` }).decision).toBe('implicit_deny');
  });

  it('refuses what it cannot evaluate rather than ignoring it', () => {
    for (const bad of [
      trust({ Service: 'ec2.amazonaws.com' }),
      trust({ AWS: 'arn:aws:iam::12:user/x' }),
      trust({ AWS: userArn('ci') }, { Condition: { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } } }),
      trust({ AWS: userArn('ci') }, { NotAction: 'sts:TagSession' }),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] }),
      '{',
    ]) {
      expect(() => parseTrustPolicy(bad), bad).toThrow(expect.objectContaining({ code: 'MalformedPolicyDocument' }));
    }
  });
});

describe('AssumeRole in the directory', () => {
  it('needs the caller’s own sts:AssumeRole permission when the trust policy names only the account, as IAM', () => {
    const { iam } = directory();
    iam.createUser('dev');
    const role = iam.createRole('r', trust({ AWS: ACCOUNT }));
    expect(() => iam.assumeRole(userArn('dev'), { roleArn: role.arn, roleSessionName: 's1' })).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
    iam.putUserPolicy('dev', 'assume', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: role.arn }] }));
    expect(iam.assumeRole(userArn('dev'), { roleArn: role.arn, roleSessionName: 's1' }).assumedRoleUser.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/r/s1`);
    // The root key of the data dir stands for the account.
    expect(iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's2' }).credentials.accessKeyId).toMatch(/^ASIA/);
  });

  it('limits role chaining to an hour and refuses oversized session policies', () => {
    const { iam } = directory();
    const role = iam.createRole('r', trust({ AWS: ACCOUNT }), { maxSessionDuration: 43_200 });
    const first = iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's1', durationSeconds: 43_200 });
    iam.putRolePolicy('r', 'chain', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: '*' }] }));
    expect(() => iam.assumeRole(first.assumedRoleUser.arn, { roleArn: role.arn, roleSessionName: 's2', durationSeconds: 3601 })).toThrow(/role chaining/);
    expect(iam.assumeRole(first.assumedRoleUser.arn, { roleArn: role.arn, roleSessionName: 's2', durationSeconds: 3600 }).credentials).toBeDefined();
    const big = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:*:*:dbuser:*/${'x'.repeat(2100)}` }] });
    expect(() => iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's3', policy: big })).toThrow(expect.objectContaining({ code: 'PackedPolicyTooLarge' }));
  });

  it('issues sessions only this installation can open, which end on time', () => {
    const masterKey = randomBytes(32);
    const { iam, clock } = directory(masterKey);
    const role = iam.createRole('r', trust({ AWS: ACCOUNT }));
    const c = iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's1', durationSeconds: 900 }).credentials;
    expect(c.expiration.getTime()).toBe(clock.now().getTime() + 900_000);
    expect(iam.lookupSession(c.accessKeyId, c.sessionToken)).toMatchObject({ secretAccessKey: c.secretAccessKey, principal: `arn:aws:sts::${ACCOUNT}:assumed-role/r/s1`, sessionPolicy: null });
    // Nothing secret in the token: the secret is not in it, and it does not open under another key id.
    expect(Buffer.from(c.sessionToken, 'base64').includes(Buffer.from(c.secretAccessKey))).toBe(false);
    expect(() => iam.lookupSession(SessionTokens.newAccessKeyId(), c.sessionToken)).toThrow(expect.objectContaining({ reason: 'unknown_session' }));
    const flipped = Buffer.from(c.sessionToken, 'base64');
    flipped[flipped.length - 1]! ^= 1;
    expect(() => iam.lookupSession(c.accessKeyId, flipped.toString('base64'))).toThrow(expect.objectContaining({ reason: 'unknown_session' }));
    expect(() => directory().iam.lookupSession(c.accessKeyId, c.sessionToken)).toThrow(expect.objectContaining({ reason: 'unknown_session' }));
    clock.advance(900_000);
    expect(() => iam.lookupSession(c.accessKeyId, c.sessionToken)).toThrow(expect.objectContaining({ reason: 'session_expired' }));
  });

  it('checks a session at login from memory: no store access once the role was seen, and role writes apply at once', () => {
    const { iam, store } = directory();
    const role = iam.createRole('r', trust({ AWS: ACCOUNT }));
    const allow = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*' }] });
    iam.putRolePolicy('r', 'connect', allow);
    const c = iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's1' }).credentials;
    const login = () => iam.authorize(iam.lookupSession(c.accessKeyId, c.sessionToken).principal, 'rds-db:connect', 'arn:aws:rds-db:us-east-1:123456789012:dbuser:db-X/jane');
    expect(login()).toBe('allow');
    iam.deleteRolePolicy('r', 'connect');
    expect(login()).toBe('implicit_deny');
    iam.putRolePolicy('r', 'connect', allow);
    expect(login()).toBe('allow');
    // With the store gone, logins of the session still verify: nothing on this path reads it.
    store.close();
    expect(login()).toBe('allow');
  });
});

describe('STS calls made with temporary credentials', () => {
  const allow = (action: string, resource = '*') => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: resource }] });

  it('no longer opens a session for the API once its role was deleted, also after a role of the same name is created again', () => {
    const { iam } = directory();
    const role = iam.createRole('a', trust({ AWS: ACCOUNT }));
    const c = iam.assumeRole(ROOT_PRINCIPAL, { roleArn: role.arn, roleSessionName: 's1' }).credentials;
    expect(iam.openApiSession(c.accessKeyId, c.sessionToken)).toMatchObject({ principal: `arn:aws:sts::${ACCOUNT}:assumed-role/a/s1`, secretAccessKey: c.secretAccessKey });
    iam.deleteRole('a');
    expect(iam.openApiSession(c.accessKeyId, c.sessionToken)).toBe('unknown_session');
    iam.createRole('a', trust({ AWS: ACCOUNT }));
    expect(iam.openApiSession(c.accessKeyId, c.sessionToken)).toBe('unknown_session');
  });

  it('applies the caller’s session policy to AssumeRole unless the trust policy names the session itself', () => {
    const { iam } = directory();
    const a = iam.createRole('a', trust({ AWS: ACCOUNT }));
    iam.putRolePolicy('a', 'assume', allow('sts:AssumeRole'));
    const byAccount = iam.createRole('b', trust({ AWS: ACCOUNT }));
    const byRole = iam.createRole('c', trust({ AWS: a.arn }));
    const sessionArn = `arn:aws:sts::${ACCOUNT}:assumed-role/a/narrow`;
    const bySession = iam.createRole('d', trust({ AWS: sessionArn }));
    const narrow = iam.assumeRole(ROOT_PRINCIPAL, { roleArn: a.arn, roleSessionName: 'narrow', policy: allow('rds-db:connect') }).credentials;
    const opened = iam.openApiSession(narrow.accessKeyId, narrow.sessionToken);
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.sessionPolicy).toBe(allow('rds-db:connect'));
    const session = { sessionPolicy: opened.sessionPolicy! };
    const req = (roleArn: string) => ({ roleArn, roleSessionName: 'next' });
    expect(() => iam.assumeRole(sessionArn, req(byAccount.arn), session)).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
    expect(() => iam.assumeRole(sessionArn, req(byRole.arn), session)).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
    expect(iam.assumeRole(sessionArn, req(bySession.arn), session).assumedRoleUser.arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/d/next`);
    // A session policy that allows it, or none at all: the role's own permissions decide.
    expect(iam.assumeRole(sessionArn, req(byAccount.arn), { sessionPolicy: allow('sts:AssumeRole', byAccount.arn) }).credentials).toBeDefined();
    expect(iam.assumeRole(sessionArn, req(byAccount.arn), {}).credentials).toBeDefined();
    expect(iam.assumeRole(sessionArn, req(byRole.arn), {}).credentials).toBeDefined();
  });

  it('GetSessionToken lasts an hour by default for the root key, 12 hours for users, and refuses every session', () => {
    const { iam, clock } = directory();
    iam.createUser('dev');
    const now = clock.now().getTime();
    expect(iam.getSessionToken(ROOT_PRINCIPAL, undefined).expiration.getTime()).toBe(now + 3_600_000);
    expect(() => iam.getSessionToken(ROOT_PRINCIPAL, 3601)).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    const user = iam.getSessionToken(userArn('dev'), undefined);
    expect(user.expiration.getTime()).toBe(now + 43_200_000);
    // Credentials from GetSessionToken act as the user itself: only the session tells them apart.
    const opened = iam.openApiSession(user.accessKeyId, user.sessionToken);
    if (typeof opened === 'string') throw new Error(opened);
    expect(opened.principal).toBe(userArn('dev'));
    expect(() => iam.getSessionToken(opened.principal, undefined, {})).toThrow(expect.objectContaining({ code: 'AccessDenied', message: 'Cannot call GetSessionToken with session credentials' }));
    expect(() => iam.getSessionToken(ROOT_PRINCIPAL, undefined, {})).toThrow(expect.objectContaining({ code: 'AccessDenied' }));
  });
});
