/**
 * STS calls signed with temporary credentials, through the API server with @aws-sdk/client-sts
 * over a real IamDirectory (in-memory store): the server hands the opened session to the actions,
 * so a session's role deletion, its session policy and its being a session count (docs/iam.md
 * "Roles and temporary credentials").
 */
import { randomBytes } from 'node:crypto';
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { afterEach, describe, expect, it } from 'vitest';
import { IamDirectory } from '../../../src/iam/iam-directory.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { Store } from '../../../src/store/store.js';
import { region, startApi, type ApiHarness } from './harness.js';

const ACCOUNT = '123456789012';
const userArn = `arn:aws:iam::${ACCOUNT}:user/dev`;
const allow = (action: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });
const trust = (aws: string) => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: aws }, Action: 'sts:AssumeRole' }] });

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let api: ApiHarness | undefined;
const clients: STSClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await api?.close();
  api = undefined;
});

async function setup() {
  const iam = new IamDirectory({ store: new Store(':memory:'), masterKey: randomBytes(32), accountId: ACCOUNT, clock: new ManualClock(Date.now()) });
  iam.createUser('dev');
  const k = iam.createAccessKey('dev');
  api = await startApi({ iam });
  const sts = (credentials: Creds) => {
    const c = new STSClient({ endpoint: api!.url, region, credentials, maxAttempts: 1 });
    clients.push(c);
    return c;
  };
  const user = sts({ accessKeyId: k.accessKeyId, secretAccessKey: k.secretAccessKey });
  const creds = (c: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string } | undefined): Creds => ({ accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! });
  return { iam, sts, user, creds };
}

describe('STS with temporary credentials through the API', () => {
  it('refuses GetSessionToken signed with any temporary credentials, GetSessionToken’s own included', async () => {
    const { iam, sts, user, creds } = await setup();
    const own = creds((await user.send(new GetSessionTokenCommand({}))).Credentials);
    // They sign other STS calls as the user.
    expect((await sts(own).send(new GetCallerIdentityCommand({}))).Arn).toBe(userArn);
    await expect(sts(own).send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: 'AccessDenied', message: 'Cannot call GetSessionToken with session credentials' });
    const role = iam.createRole('a', trust(userArn));
    const assumed = creds((await user.send(new AssumeRoleCommand({ RoleArn: role.arn, RoleSessionName: 's1' }))).Credentials);
    await expect(sts(assumed).send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('refuses the credentials of a deleted role, also for AssumeRole into a role whose trust names it', async () => {
    const { iam, sts, user, creds } = await setup();
    const a = iam.createRole('a', trust(userArn));
    iam.createRole('b', trust(a.arn));
    const session = sts(creds((await user.send(new AssumeRoleCommand({ RoleArn: a.arn, RoleSessionName: 's1' }))).Credentials));
    expect((await session.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/b`, RoleSessionName: 's2' }))).AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/b/s2`);
    iam.deleteRole('a');
    await expect(session.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId', $metadata: { httpStatusCode: 403 } });
    await expect(session.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/b`, RoleSessionName: 's3' }))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('narrows a chained AssumeRole by the caller’s session policy when the trust policy names only the account', async () => {
    const { iam, sts, user, creds } = await setup();
    const a = iam.createRole('a', trust(userArn));
    iam.putRolePolicy('a', 'assume', allow('sts:AssumeRole'));
    const b = iam.createRole('b', trust(ACCOUNT));
    const narrow = sts(creds((await user.send(new AssumeRoleCommand({ RoleArn: a.arn, RoleSessionName: 'narrow', Policy: allow('rds-db:connect') }))).Credentials));
    await expect(narrow.send(new AssumeRoleCommand({ RoleArn: b.arn, RoleSessionName: 'next' }))).rejects.toMatchObject({ name: 'AccessDenied' });
    const full = sts(creds((await user.send(new AssumeRoleCommand({ RoleArn: a.arn, RoleSessionName: 'full' }))).Credentials));
    expect((await full.send(new AssumeRoleCommand({ RoleArn: b.arn, RoleSessionName: 'next' }))).AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/b/next`);
  });
});
