/**
 * IAM roles and temporary credentials end to end (docs/iam.md "Roles and temporary credentials"):
 * @aws-sdk/client-sts against tlsql's API (AssumeRole, AssumeRoleWithWebIdentity, GetSessionToken,
 * GetCallerIdentity), then @aws-sdk/rds-signer tokens carrying X-Amz-Security-Token, logging in
 * through mysql2 with verified TLS as the real engine account. Every refusal is a 1045 for the
 * client and its own reason in the log. Expiry is tested by moving the service's injected clock.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import { AssumeRoleCommand, AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/lib/clock.js';
import { SessionTokens } from '../../src/iam/sts-sessions.js';
import { mysql2Tls, run } from '../helpers/clients.js';
import { tlsql } from '../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

class OffsetClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const clock = new OffsetClock();
let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let admin: mysql.Connection;
let ca: string;
let account: string;
let resourceId: string;
let deployer: Creds;
let outsider: Creds;
let roleArn: string;

const cli = (args: string[]) => tlsql(t.dataDir, ['--endpoint-url', t.service.apiUrl, ...args]);

async function cliJson(args: string[]): Promise<Record<string, any>> {
  const r = await cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code, args.join(' ')).toBe(0);
  return r.stdout.trim() ? JSON.parse(r.stdout) : {};
}

function sts(credentials?: Creds): STSClient {
  return new STSClient({
    endpoint: t.service.apiUrl,
    region: t.config.region,
    maxAttempts: 1,
    systemClockOffset: clock.offsetMs,
    ...(credentials ? { credentials } : { credentials: async () => { throw new Error('an unsigned call must not ask for credentials'); } }),
  });
}

async function assume(o: { credentials?: Creds; session?: string; policy?: string; durationSeconds?: number; role?: string } = {}): Promise<Creds> {
  const out = await sts(o.credentials ?? deployer).send(
    new AssumeRoleCommand({ RoleArn: o.role ?? roleArn, RoleSessionName: o.session ?? 'app-1', ...(o.policy ? { Policy: o.policy } : {}), ...(o.durationSeconds ? { DurationSeconds: o.durationSeconds } : {}) }),
  );
  const c = out.Credentials!;
  return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
}

function token(credentials: Creds, user = 'jane'): Promise<string> {
  return new Signer({ hostname: db.host, port: db.port, username: user, region: t.config.region, credentials }).getAuthToken();
}

function iamConnect(password: string, user = 'jane') {
  return mysql.createConnection({ host: db.host, port: db.port, user, password, enableCleartextPlugin: true, ssl: { ca, verifyIdentity: true } });
}

async function currentUser(password: string): Promise<string> {
  const c = await iamConnect(password);
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT CURRENT_USER() AS cu');
    return rows[0]!.cu as string;
  } finally {
    await c.end();
  }
}

async function expectRefused(password: string, reason: string): Promise<void> {
  const from = t.logs.length;
  await expect(iamConnect(password)).rejects.toMatchObject({ errno: 1045 });
  const logs = t.logs.slice(from).join('\n');
  expect(logs).toContain('"msg":"IAM login refused"');
  expect(logs).toContain(`"reason":"${reason}"`);
}

const connectJane = () => JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:${t.config.region}:${account}:dbuser:${resourceId}/jane` }] });

beforeAll(async () => {
  t = await startTestService({}, { clock });
  db = await createInstance(t, 'rolesdb', { EnableIAMDatabaseAuthentication: true });
  ca = readFileSync(t.bundlePath, 'utf8');
  account = db.instance.DBInstanceArn!.split(':')[4]!;
  resourceId = db.instance.DbiResourceId!;
  admin = await mysql2Tls({ ...db, ca: t.bundlePath });
  await admin.query("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'");
  for (const [name, set] of [['deployer', (c: Creds) => (deployer = c)], ['outsider', (c: Creds) => (outsider = c)]] as const) {
    await cliJson(['iam', 'create-user', '--user-name', name]);
    const k = await cliJson(['iam', 'create-access-key', '--user-name', name]);
    set({ accessKeyId: k.AccessKey.AccessKeyId, secretAccessKey: k.AccessKey.SecretAccessKey });
  }
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:user/deployer` }, Action: 'sts:AssumeRole' }] });
  const role = await cliJson(['iam', 'create-role', '--role-name', 'app-role', '--assume-role-policy-document', trust, '--max-session-duration', '7200']);
  roleArn = role.Role.Arn;
  await cliJson(['iam', 'put-role-policy', '--role-name', 'app-role', '--policy-name', 'connect', '--policy-document', connectJane()]);
});

afterAll(async () => {
  await admin?.end();
  await t?.close();
});

describe('IAM roles (tlsql iam ...)', () => {
  it('creates, shows and lists roles with their trust policy, as aws iam', async () => {
    const r = await cliJson(['iam', 'get-role', '--role-name', 'APP-ROLE']);
    expect(r.Role).toMatchObject({ RoleName: 'app-role', Arn: `arn:aws:iam::${account}:role/app-role`, MaxSessionDuration: 7200, Path: '/' });
    expect(r.Role.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
    expect(r.Role.AssumeRolePolicyDocument.Statement[0].Principal.AWS).toBe(`arn:aws:iam::${account}:user/deployer`);
    expect((await cliJson(['iam', 'list-roles'])).Roles.map((x: { RoleName: string }) => x.RoleName)).toEqual(['app-role']);
    expect((await cliJson(['iam', 'list-role-policies', '--role-name', 'app-role'])).PolicyNames).toEqual(['connect']);
    expect((await cliJson(['iam', 'get-role-policy', '--role-name', 'app-role', '--policy-name', 'connect'])).PolicyDocument.Statement[0].Action).toBe('rds-db:connect');
  });

  it('refuses a trust policy it cannot evaluate, a bad MaxSessionDuration, a duplicate, and deleting a role with policies', async () => {
    const bad = await cli(['iam', 'create-role', '--role-name', 'r2', '--assume-role-policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}']);
    expect(bad.code).toBe(254);
    expect(bad.stderr).toContain('MalformedPolicyDocument');
    const cond = await cli(['iam', 'create-role', '--role-name', 'r2', '--assume-role-policy-document', '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}']);
    expect(cond.stderr).toContain('MalformedPolicyDocument');
    const long = await cli(['iam', 'create-role', '--role-name', 'r2', '--assume-role-policy-document', `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"${account}"},"Action":"sts:AssumeRole"}}`, '--max-session-duration', '50000']);
    expect(long.stderr).toContain('ValidationError');
    const dup = await cli(['iam', 'create-role', '--role-name', 'App-Role', '--assume-role-policy-document', `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"${account}"},"Action":"sts:AssumeRole"}}`]);
    expect(dup.stderr).toContain('EntityAlreadyExists');
    const del = await cli(['iam', 'delete-role', '--role-name', 'app-role']);
    expect(del.stderr).toContain('DeleteConflict');
    expect((await cliJson(['iam', 'list-roles'])).Roles).toHaveLength(1);
  });
});

describe('STS and temporary credentials', () => {
  it('AssumeRole -> rds-signer -> mysql2 with verifyIdentity logs in as the IAM DB user', async () => {
    const creds = await assume();
    expect(creds.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(creds.secretAccessKey).toHaveLength(40);
    expect(await currentUser(await token(creds))).toBe('jane@%');
    const logs = t.logs.filter((l) => l.includes('"msg":"IAM login"')).at(-1)!;
    expect(logs).toContain(`"principal":"arn:aws:sts::${account}:assumed-role/app-role/app-1"`);
  });

  it('GetCallerIdentity names the assumed role session, the user, and the root', async () => {
    const creds = await assume({ session: 'ci-run-42' });
    const me = await sts(creds).send(new GetCallerIdentityCommand({}));
    expect(me.Arn).toBe(`arn:aws:sts::${account}:assumed-role/app-role/ci-run-42`);
    expect(me.Account).toBe(account);
    expect(me.UserId).toMatch(/^AROA[A-Z2-7]{17}:ci-run-42$/);
    expect((await sts(deployer).send(new GetCallerIdentityCommand({}))).Arn).toBe(`arn:aws:iam::${account}:user/deployer`);
  });

  it('refuses AssumeRole when the trust policy does not name the caller (AccessDenied)', async () => {
    await expect(assume({ credentials: outsider })).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(assume({ role: `arn:aws:iam::${account}:role/nope` })).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('validates RoleSessionName and DurationSeconds within the role maximum (ValidationError)', async () => {
    await expect(assume({ session: 'bad name!' })).rejects.toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    await expect(assume({ durationSeconds: 600 })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(assume({ durationSeconds: 7201 })).rejects.toThrow(/MaxSessionDuration/);
    await expect(assume({ durationSeconds: 7200 })).resolves.toBeDefined();
  });

  it('a session policy narrows the role: refused for jane when it allows another user only', async () => {
    const other = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: `arn:aws:rds-db:*:*:dbuser:*/someone-else` }] });
    await expectRefused(await token(await assume({ policy: other })), 'session_policy_denies');
    // A session policy can only narrow: allowing jane logs in (the role allows it too).
    expect(await currentUser(await token(await assume({ policy: connectJane() })))).toBe('jane@%');
  });

  it('refuses a token whose session has expired (injected clock), though the token itself is fresh', async () => {
    try {
      clock.offsetMs = -600_000;
      const creds = await assume({ durationSeconds: 900 });
      clock.offsetMs = 0;
      const tok = await token(creds);
      expect(await currentUser(tok)).toBe('jane@%');
      clock.offsetMs = 400_000;
      await expectRefused(tok, 'session_expired');
      // STS refuses the expired credentials too.
      await expect(sts(creds).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'ExpiredToken' });
    } finally {
      clock.offsetMs = 0;
    }
  });

  it('refuses a session token from another tlsql installation (another master key)', async () => {
    const foreign = new SessionTokens(randomBytes(32));
    const accessKeyId = SessionTokens.newAccessKeyId();
    const role = (await cliJson(['iam', 'get-role', '--role-name', 'app-role'])).Role;
    const now = Date.now();
    const sessionToken = foreign.seal({ accessKeyId, kind: 'assumed-role', principal: `arn:aws:sts::${account}:assumed-role/app-role/x`, roleName: 'app-role', roleId: role.RoleId, issuedAt: now, expiresAt: now + 3600_000 });
    const creds = { accessKeyId, secretAccessKey: foreign.secretFor(accessKeyId), sessionToken };
    await expectRefused(await token(creds), 'unknown_session');
    await expect(sts(creds).send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({ name: 'InvalidClientTokenId' });
  });

  it('GetSessionToken gives an IAM user temporary credentials with its own permissions (none for jane here)', async () => {
    const out = await sts(deployer).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const c = out.Credentials!;
    await expectRefused(await token({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }), 'no_policy');
    const creds = await assume();
    await expect(sts(creds).send(new GetSessionTokenCommand({}))).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('applies role policy changes and role deletion to existing sessions at their next login', async () => {
    const creds = await assume({ session: 'long-lived' });
    const tok = await token(creds);
    expect(await currentUser(tok)).toBe('jane@%');
    await cliJson(['iam', 'delete-role-policy', '--role-name', 'app-role', '--policy-name', 'connect']);
    await expectRefused(tok, 'no_policy');
    await cliJson(['iam', 'put-role-policy', '--role-name', 'app-role', '--policy-name', 'connect', '--policy-document', connectJane()]);
    expect(await currentUser(tok)).toBe('jane@%');
    // Deleted and re-created under the same name: the old sessions belong to the old role.
    const role = (await cliJson(['iam', 'get-role', '--role-name', 'app-role'])).Role;
    await cliJson(['iam', 'delete-role-policy', '--role-name', 'app-role', '--policy-name', 'connect']);
    await cliJson(['iam', 'delete-role', '--role-name', 'app-role']);
    await expectRefused(tok, 'role_deleted');
    await cliJson(['iam', 'create-role', '--role-name', 'app-role', '--assume-role-policy-document', JSON.stringify(role.AssumeRolePolicyDocument), '--max-session-duration', '7200']);
    await cliJson(['iam', 'put-role-policy', '--role-name', 'app-role', '--policy-name', 'connect', '--policy-document', connectJane()]);
    await expectRefused(tok, 'role_deleted');
    expect(await currentUser(await token(await assume()))).toBe('jane@%');
  });
});

describe('AssumeRoleWithWebIdentity (OIDC)', () => {
  const issuer = 'https://ci.example.test/oidc';
  const sub = 'repo:acme/shop:ref:refs/heads/main';
  let key: { privateKey: KeyLike; kid: string };
  let other: KeyLike;

  async function jwt(o: { aud?: string; sub?: string; expIn?: number; nbfIn?: number; signWith?: KeyLike } = {}): Promise<string> {
    const now = Math.floor(clock.now().getTime() / 1000);
    const j = new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: key.kid })
      .setIssuer(issuer)
      .setSubject(o.sub ?? sub)
      .setAudience(o.aud ?? 'sts.amazonaws.com')
      .setIssuedAt(now)
      .setExpirationTime(now + (o.expIn ?? 300));
    if (o.nbfIn !== undefined) j.setNotBefore(now + o.nbfIn);
    return j.sign(o.signWith ?? key.privateKey);
  }

  const withWebIdentity = (token: string) => sts().send(new AssumeRoleWithWebIdentityCommand({ RoleArn: `arn:aws:iam::${account}:role/ci-role`, RoleSessionName: 'gh-run', WebIdentityToken: token }));

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = { privateKey: pair.privateKey, kid: 'k1' };
    other = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const p = await cliJson(['iam', 'create-open-id-connect-provider', '--url', issuer, '--client-id-list', 'sts.amazonaws.com', '--jwks', JSON.stringify({ keys: [jwk] })]);
    expect(p.OpenIDConnectProviderArn).toBe(`arn:aws:iam::${account}:oidc-provider/ci.example.test/oidc`);
    const trust = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: p.OpenIDConnectProviderArn },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { 'ci.example.test/oidc:aud': 'sts.amazonaws.com' }, StringLike: { 'ci.example.test/oidc:sub': 'repo:acme/shop:*' } },
        },
      ],
    };
    await cliJson(['iam', 'create-role', '--role-name', 'ci-role', '--assume-role-policy-document', JSON.stringify(trust)]);
    // allow-db-connect writes the same rds-db:connect policy for a role as for a user.
    const allowed = await cliJson(['iam', 'allow-db-connect', '--role-name', 'ci-role', '--db-instance-identifier', 'rolesdb', '--db-user', 'jane']);
    expect(allowed).toMatchObject({ RoleName: 'ci-role', PolicyName: 'rds-db-connect-jane' });
    expect((await cliJson(['iam', 'list-role-policies', '--role-name', 'ci-role'])).PolicyNames).toEqual(['rds-db-connect-jane']);
    const neither = await cli(['iam', 'allow-db-connect', '--db-user', 'jane', '--all-instances']);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain('exactly one of --user-name or --role-name');
  });

  it('a JWT signed by the provider key -> temporary credentials -> token -> login', async () => {
    const out = await withWebIdentity(await jwt());
    expect(out.SubjectFromWebIdentityToken).toBe(sub);
    expect(out.Audience).toBe('sts.amazonaws.com');
    expect(out.Provider).toBe('ci.example.test/oidc');
    expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${account}:assumed-role/ci-role/gh-run`);
    const c = out.Credentials!;
    expect(await currentUser(await token({ accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! }))).toBe('jane@%');
  });

  it('works unsigned from the AWS CLI (aws sts assume-role-with-web-identity, no credentials configured)', async () => {
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '' };
    const args = ['sts', 'assume-role-with-web-identity', '--endpoint-url', t.service.apiUrl, '--region', t.config.region, '--output', 'json', '--role-arn', `arn:aws:iam::${account}:role/ci-role`, '--role-session-name', 'gh-cli'];
    const r = await run('aws', [...args, '--web-identity-token', await jwt()], { env });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).AssumedRoleUser.Arn).toBe(`arn:aws:sts::${account}:assumed-role/ci-role/gh-cli`);
    const bad = await run('aws', [...args, '--web-identity-token', await jwt({ aud: 'nope' })], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('(InvalidIdentityToken)');
  });

  it('refuses a wrong audience, a sub the trust policy does not match, an expired JWT, a bad signature, each with its STS code', async () => {
    await expect(withWebIdentity(await jwt({ aud: 'someone-else' }))).rejects.toMatchObject({ name: 'InvalidIdentityTokenException', $metadata: { httpStatusCode: 400 } });
    await expect(withWebIdentity(await jwt({ sub: 'repo:evil/shop:ref:refs/heads/main' }))).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    await expect(withWebIdentity(await jwt({ expIn: -120 }))).rejects.toMatchObject({ name: 'ExpiredTokenException', $metadata: { httpStatusCode: 400 } });
    await expect(withWebIdentity(await jwt({ signWith: other }))).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    await expect(withWebIdentity(await jwt({ nbfIn: 600 }))).rejects.toMatchObject({ name: 'InvalidIdentityTokenException' });
    // Within the leeway: a JWT that expired 30 s ago is still accepted (the leeway is 60 s).
    await expect(withWebIdentity(await jwt({ expIn: -30 }))).resolves.toBeDefined();
  });
});

describe('STS on the API endpoint, over plain HTTP', () => {
  const post = (body: string) => fetch(`${t.service.apiUrl}/`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

  it('answers the unsigned AssumeRoleWithWebIdentity with STS faults in STS\'s namespace, and refuses other unsigned STS calls', async () => {
    const res = await post(`Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=${encodeURIComponent(roleArn)}&RoleSessionName=x1&WebIdentityToken=not-a-jwt`);
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toContain('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">');
    expect(xml).toContain('<Code>InvalidIdentityToken</Code>');
    const unsigned = await post('Action=GetCallerIdentity&Version=2011-06-15');
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    // Not a small form: refused from its headers, before its body is read.
    const notForm = await fetch(`${t.service.apiUrl}/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15' });
    expect(notForm.status).toBe(403);
    expect(notForm.headers.get('connection')).toBe('close');
    expect(await notForm.text()).toContain('<Code>MissingAuthenticationToken</Code>');
  });
});

describe('the AWS CLI and ~/.aws/config profiles with temporary credentials', () => {
  let home: string;
  const awsEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'tlsql-aws-home-'));
    // A role the account itself (the data dir's root key) may assume, for `tlsql credentials --aws-config`.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }] });
    await cliJson(['iam', 'create-role', '--role-name', 'cli-role', '--assume-role-policy-document', trust]);
    await cliJson(['iam', 'put-role-policy', '--role-name', 'cli-role', '--policy-name', 'connect', '--policy-document', connectJane()]);
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  /** `node -e`: @aws-sdk/rds-signer with no credentials given, so the SDK's default chain resolves them (argv: node, host, port). */
  const signerScript =
    "import { Signer } from '@aws-sdk/rds-signer'; const [h, p] = process.argv.slice(1); process.stdout.write(await new Signer({ hostname: h, port: Number(p), username: 'jane' }).getAuthToken());";

  async function mariadbLogin(host: string, tok: string) {
    const r = await run('mariadb', ['-h', host, '-P', String(db.port), '-u', 'jane', `--ssl-ca=${t.bundlePath}`, '--ssl-verify-server-cert', `--password=${tok}`, '--batch', '--skip-column-names', '-e', 'SELECT CURRENT_USER()']);
    expect(r.stderr.replace(/^.*cleartext.*\n?/gim, '')).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim().split('\n').at(-1);
  }

  it('aws sts assume-role, then aws rds generate-db-auth-token -> the mariadb client logs in, also for an upper-case endpoint name', async () => {
    const env = awsEnv({ AWS_ACCESS_KEY_ID: deployer.accessKeyId, AWS_SECRET_ACCESS_KEY: deployer.secretAccessKey });
    const a = await run('aws', ['sts', 'assume-role', '--role-arn', roleArn, '--role-session-name', 'aws-cli', '--endpoint-url', t.service.apiUrl, '--region', t.config.region, '--output', 'json'], { env });
    expect(a.stderr).toBe('');
    const c = JSON.parse(a.stdout).Credentials;
    const temp = awsEnv({ AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken });
    const who = await run('aws', ['sts', 'get-caller-identity', '--endpoint-url', t.service.apiUrl, '--region', t.config.region, '--output', 'json'], { env: temp });
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:sts::${account}:assumed-role/app-role/aws-cli`);
    for (const host of [db.host, db.host.toUpperCase()]) {
      const g = await run('aws', ['rds', 'generate-db-auth-token', '--hostname', host, '--port', String(db.port), '--username', 'jane', '--region', t.config.region], { env: temp });
      expect(g.stderr).toBe('');
      const tok = g.stdout.trim();
      expect(tok).toContain('X-Amz-Security-Token=');
      expect(tok.startsWith(`${host}:${db.port}/?`)).toBe(true);
      expect(await mariadbLogin(host, tok)).toBe('jane@%');
    }
  });

  it('a profile with role_arn + source_profile from `tlsql credentials --aws-config` works with the AWS CLI and the SDK default credential chain', async () => {
    const snippet = await cli(['credentials', '--aws-config', '--role-arn', `arn:aws:iam::${account}:role/cli-role`]);
    expect(snippet.code).toBe(0);
    expect(snippet.stdout).toContain('[profile tlsql-role]\nrole_arn = ');
    const config = join(home, 'config');
    writeFileSync(config, snippet.stdout, { mode: 0o600 });
    const env = awsEnv({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'tlsql-role' });
    const who = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env });
    expect(who.stderr).toBe('');
    expect(JSON.parse(who.stdout).Arn).toMatch(new RegExp(`^arn:aws:sts::${account}:assumed-role/cli-role/`));
    // @aws-sdk/rds-signer with no credentials given: the default chain reads the profile and assumes the role through tlsql.
    const s = await run(process.execPath, ['--input-type=module', '-e', signerScript, db.host, String(db.port)], { env });
    expect(s.stderr).toBe('');
    expect(s.stdout).toContain('X-Amz-Security-Token=');
    expect(await currentUser(s.stdout)).toBe('jane@%');
  });

  it('AWS_ENDPOINT_URL_STS sends a role profile’s STS calls to tlsql (profile without endpoint_url)', async () => {
    const config = join(home, 'config-env');
    writeFileSync(
      config,
      `[profile base]\naws_access_key_id = ${deployer.accessKeyId}\naws_secret_access_key = ${deployer.secretAccessKey}\nregion = ${t.config.region}\n\n[profile app]\nrole_arn = ${roleArn}\nsource_profile = base\nregion = ${t.config.region}\n`,
      { mode: 0o600 },
    );
    const env = awsEnv({ AWS_CONFIG_FILE: config, AWS_PROFILE: 'app', AWS_ENDPOINT_URL_STS: t.service.apiUrl });
    const who = await run('aws', ['sts', 'get-caller-identity', '--output', 'json'], { env });
    expect(who.stderr).toBe('');
    expect(JSON.parse(who.stdout).Arn).toMatch(new RegExp(`^arn:aws:sts::${account}:assumed-role/app-role/`));
    const s = await run(process.execPath, ['--input-type=module', '-e', signerScript, db.host, String(db.port)], { env });
    expect(s.stderr).toBe('');
    expect(await currentUser(s.stdout)).toBe('jane@%');
  });
});
