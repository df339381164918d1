/**
 * IAM database authentication from the command line: IAM users, their access keys and their
 * `rds-db:connect` policies (`tlsql iam ...`, tlsql's own API actions with IAM's names, printed
 * like `aws iam`), and `tlsql generate-db-auth-token`, the equivalent of
 * `aws rds generate-db-auth-token`, signed locally with @aws-sdk/rds-signer.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DescribeDBInstancesCommand, type DescribeDBInstancesCommandOutput } from '@aws-sdk/client-rds';
import { connectPolicyDocument, dbUserArn } from '../../iam/policy.js';
import { resolveCredentials } from '../client-context.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { defineCommand, type CommandDef } from '../registry.js';
import { callTlsqlAction } from '../tlsql-api.js';

const userName = { name: 'user-name', type: 'string', required: true, help: 'The IAM user name (1-64 letters, digits and +=,.@_-).' } as const;
const accessKeyId = { name: 'access-key-id', type: 'string', required: true, help: 'The access key id (AKIA...).' } as const;
const policyName = { name: 'policy-name', type: 'string', required: true, help: 'Name of the inline policy.' } as const;

export const iamCreateUser = defineCommand({
  name: 'iam create-user',
  summary: 'Creates an IAM user: an identity whose access keys sign IAM database authentication tokens.',
  description: 'Like `aws iam create-user`. Then give it an access key (iam create-access-key) and allow it to connect (iam allow-db-connect). (tlsql action CreateUser.)',
  options: [userName],
  async run(ctx, args) {
    ctx.print('CreateUser', await callTlsqlAction(ctx, 'CreateUser', { UserName: args.userName }));
  },
});

export const iamGetUser = defineCommand({
  name: 'iam get-user',
  summary: 'Shows an IAM user.',
  options: [userName],
  async run(ctx, args) {
    ctx.print('GetUser', await callTlsqlAction(ctx, 'GetUser', { UserName: args.userName }));
  },
});

export const iamListUsers = defineCommand({
  name: 'iam list-users',
  summary: 'Lists the IAM users.',
  options: [],
  async run(ctx) {
    ctx.print('ListUsers', await callTlsqlAction(ctx, 'ListUsers', {}, ['Users']));
  },
});

export const iamDeleteUser = defineCommand({
  name: 'iam delete-user',
  summary: 'Deletes an IAM user (delete its access keys and policies first).',
  options: [userName],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteUser', { UserName: args.userName });
  },
});

export const iamCreateAccessKey = defineCommand({
  name: 'iam create-access-key',
  summary: 'Creates an access key for an IAM user and prints its secret, once.',
  description:
    'Like `aws iam create-access-key`: the output is the only time the secret access key is shown; tlsql keeps it ' +
    'encrypted under the master key (SigV4 verification needs the secret itself). At most two keys per user. Use them ' +
    'as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY with `tlsql generate-db-auth-token` or @aws-sdk/rds-signer. Keys of ' +
    'IAM users sign DB auth tokens only; the tlsql API does not accept them. (tlsql action CreateAccessKey.)',
  options: [userName],
  async run(ctx, args) {
    ctx.print('CreateAccessKey', await callTlsqlAction(ctx, 'CreateAccessKey', { UserName: args.userName }));
  },
});

export const iamListAccessKeys = defineCommand({
  name: 'iam list-access-keys',
  summary: "Lists an IAM user's access keys and their status (never the secrets).",
  options: [userName],
  async run(ctx, args) {
    ctx.print('ListAccessKeys', await callTlsqlAction(ctx, 'ListAccessKeys', { UserName: args.userName }, ['AccessKeyMetadata']));
  },
});

export const iamUpdateAccessKey = defineCommand({
  name: 'iam update-access-key',
  summary: 'Deactivates (or reactivates) an access key; tokens it signed stop working at the next login.',
  options: [userName, accessKeyId, { name: 'status', type: 'string', required: true, choices: ['Active', 'Inactive'], help: 'Active or Inactive.' }],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'UpdateAccessKey', { UserName: args.userName, AccessKeyId: args.accessKeyId, Status: args.status });
  },
});

export const iamDeleteAccessKey = defineCommand({
  name: 'iam delete-access-key',
  summary: 'Deletes an access key; tokens it signed stop working at the next login.',
  options: [userName, accessKeyId],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteAccessKey', { UserName: args.userName, AccessKeyId: args.accessKeyId });
  },
});

/** `--policy-document` and friends: the JSON text, or file://<path> relative to the working directory. */
async function documentArg(ctx: { cwd: string }, doc: string): Promise<string> {
  if (!doc.startsWith('file://')) return doc;
  const path = resolve(ctx.cwd, doc.slice('file://'.length));
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, ExitCode.usage, { cause: e });
  }
}

export const iamPutUserPolicy = defineCommand({
  name: 'iam put-user-policy',
  summary: 'Sets an inline policy of an IAM user (JSON; Effect, Action, Resource).',
  description:
    'Like `aws iam put-user-policy`. --policy-document is the JSON text or file://path. tlsql evaluates Allow/Deny ' +
    'statements with Action and Resource (wildcards * and ?); it refuses Condition, NotAction, NotResource and Principal ' +
    'rather than ignoring them. For connecting: Action rds-db:connect on ' +
    'arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId or *>/<db user or *>. (tlsql action PutUserPolicy.)',
  options: [userName, policyName, { name: 'policy-document', type: 'string', required: true, metavar: '<json|file://path>', help: 'The policy JSON, or file://<path>.' }],
  async run(ctx, args) {
    const doc = await documentArg(ctx, args.policyDocument);
    await callTlsqlAction(ctx, 'PutUserPolicy', { UserName: args.userName, PolicyName: args.policyName, PolicyDocument: doc });
  },
});

export const iamGetUserPolicy = defineCommand({
  name: 'iam get-user-policy',
  summary: 'Shows an inline policy of an IAM user.',
  options: [userName, policyName],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'GetUserPolicy', { UserName: args.userName, PolicyName: args.policyName });
    // As the AWS CLI: the URL-encoded document comes back decoded, as JSON.
    if (typeof out.PolicyDocument === 'string') out.PolicyDocument = JSON.parse(decodeURIComponent(out.PolicyDocument)) as unknown;
    ctx.print('GetUserPolicy', out);
  },
});

export const iamListUserPolicies = defineCommand({
  name: 'iam list-user-policies',
  summary: 'Lists the inline policy names of an IAM user.',
  options: [userName],
  async run(ctx, args) {
    ctx.print('ListUserPolicies', await callTlsqlAction(ctx, 'ListUserPolicies', { UserName: args.userName }, ['PolicyNames']));
  },
});

export const iamDeleteUserPolicy = defineCommand({
  name: 'iam delete-user-policy',
  summary: 'Deletes an inline policy of an IAM user.',
  options: [userName, policyName],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteUserPolicy', { UserName: args.userName, PolicyName: args.policyName });
  },
});

export const iamAllowDbConnect = defineCommand({
  name: 'iam allow-db-connect',
  summary: 'Allows an IAM user (or role) to connect to DB instances as a DB user (writes an rds-db:connect policy).',
  description:
    'Writes the inline policy --policy-name (default rds-db-connect-<db user>) allowing rds-db:connect on ' +
    'arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<db user>, with the resource id of ' +
    '--db-instance-identifier (looked up with describe-db-instances), or * with --all-instances. --db-user * allows every ' +
    'DB user. With --role-name instead of --user-name the policy goes to that IAM role (PutRolePolicy), for its sessions. ' +
    'Prints the policy. The DB account itself is created with ' +
    "`CREATE USER '<db user>'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'` through the endpoint.",
  options: [
    { name: 'user-name', type: 'string', help: 'The IAM user to allow (or give --role-name).' },
    { name: 'role-name', type: 'string', help: 'The IAM role to allow, instead of a user.' },
    { name: 'db-user', type: 'string', required: true, help: 'The DB account name tokens will log in as, or * for any.' },
    { name: 'db-instance-identifier', type: 'string', help: 'The DB instance; its DbiResourceId goes into the resource ARN.' },
    { name: 'all-instances', type: 'boolean', help: 'Every DB instance of the account (resource id *).' },
    { name: 'policy-name', type: 'string', help: 'Name of the inline policy. Default rds-db-connect-<db user>.' },
  ],
  async run(ctx, args) {
    if ((args.userName === undefined) === (args.roleName === undefined)) throw new UsageError('give exactly one of --user-name or --role-name', ctx.command);
    if ((args.dbInstanceIdentifier === undefined) === (args.allInstances !== true)) throw new UsageError('give exactly one of --db-instance-identifier or --all-instances', ctx.command);
    let resourceId = '*';
    let region = (await ctx.clientContext()).region;
    let accountId: string | undefined;
    const out = await ctx.send<DescribeDBInstancesCommandOutput>(
      'DescribeDBInstances',
      new DescribeDBInstancesCommand(args.dbInstanceIdentifier !== undefined ? { DBInstanceIdentifier: args.dbInstanceIdentifier } : { MaxRecords: 20 }),
    );
    const inst = out.DBInstances?.[0];
    if (args.dbInstanceIdentifier !== undefined) {
      if (!inst?.DbiResourceId) throw new CliError(`DB instance ${args.dbInstanceIdentifier} has no DbiResourceId`, ExitCode.failure);
      resourceId = inst.DbiResourceId;
    }
    const arnParts = inst?.DBInstanceArn?.split(':');
    if (arnParts && arnParts.length >= 5) {
      region = arnParts[3]!;
      accountId = arnParts[4]!;
    }
    if (!accountId) throw new CliError('cannot tell the account id: create a DB instance first, or write the policy with `tlsql iam put-user-policy`', ExitCode.failure);
    const document = connectPolicyDocument([dbUserArn(region, accountId, resourceId, args.dbUser)]);
    const name = args.policyName ?? `rds-db-connect-${args.dbUser === '*' ? 'any' : args.dbUser}`.replace(/[^\w+=,.@-]/g, '_').slice(0, 128);
    if (args.roleName !== undefined) {
      await callTlsqlAction(ctx, 'PutRolePolicy', { RoleName: args.roleName, PolicyName: name, PolicyDocument: document });
      ctx.print('PutRolePolicy', { RoleName: args.roleName, PolicyName: name, PolicyDocument: JSON.parse(document) as unknown });
      return;
    }
    await callTlsqlAction(ctx, 'PutUserPolicy', { UserName: args.userName, PolicyName: name, PolicyDocument: document });
    ctx.print('PutUserPolicy', { UserName: args.userName, PolicyName: name, PolicyDocument: JSON.parse(document) as unknown });
  },
});

export const generateDbAuthToken = defineCommand({
  name: 'generate-db-auth-token',
  summary: 'Generates an IAM database authentication token (as `aws rds generate-db-auth-token`).',
  description:
    'Prints a token valid for 15 minutes to log in as --username to the DB instance endpoint --hostname:--port, signed ' +
    'with @aws-sdk/rds-signer exactly as the AWS SDKs do. Use it as the password over TLS with the cleartext plugin: ' +
    '`mariadb -h <endpoint> -P <port> -u <user> --ssl-ca=global-bundle.pem --ssl-verify-server-cert ' +
    '--enable-cleartext-plugin --password="$TOKEN"`, or mysql2 with enableCleartextPlugin: true. Credentials: ' +
    '$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY (an IAM user\'s key) when set, else the data dir\'s root key. The region ' +
    'is --region, else the configured one. Nothing is sent to the server.',
  options: [
    { name: 'hostname', type: 'string', required: true, help: 'The DB instance endpoint address (Endpoint.Address).' },
    { name: 'port', type: 'integer', required: true, help: 'The endpoint port (Endpoint.Port).' },
    { name: 'username', type: 'string', required: true, help: 'The DB account to log in as.' },
  ],
  async run(ctx, args) {
    const env = ctx.io.env;
    const cc = await ctx.clientContext({ credentials: false });
    let creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
      creds = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
    } else {
      const r = await resolveCredentials(ctx.globals.dataDir, env);
      creds = { accessKeyId: r.accessKeyId, secretAccessKey: r.secretAccessKey, ...(r.sessionToken ? { sessionToken: r.sessionToken } : {}) };
    }
    if (args.port < 1 || args.port > 65535) throw new UsageError('argument --port: must be 1-65535', ctx.command);
    const { Signer } = await import('@aws-sdk/rds-signer');
    const signer = new Signer({ hostname: args.hostname, port: args.port, username: args.username, region: cc.region, credentials: creds });
    ctx.io.stdout.write((await signer.getAuthToken()) + '\n');
  },
});

const roleName = { name: 'role-name', type: 'string', required: true, help: 'The IAM role name (1-64 letters, digits and +=,.@_-).' } as const;
const policyDocument = { name: 'policy-document', type: 'string', required: true, metavar: '<json|file://path>', help: 'The policy JSON, or file://<path>.' } as const;

/** Prints an IAM answer whose named members are URL-encoded JSON documents decoded, as the AWS CLI does. */
function decodeDocuments(out: Record<string, unknown>, members: string[]): Record<string, unknown> {
  const fix = (o: Record<string, unknown>) => {
    for (const m of members) if (typeof o[m] === 'string') o[m] = JSON.parse(decodeURIComponent(o[m] as string)) as unknown;
  };
  fix(out);
  for (const v of Object.values(out)) {
    if (Array.isArray(v)) v.forEach((x) => x && typeof x === 'object' && fix(x as Record<string, unknown>));
    else if (v && typeof v === 'object') fix(v as Record<string, unknown>);
  }
  return out;
}

export const iamCreateRole = defineCommand({
  name: 'iam create-role',
  summary: 'Creates an IAM role that users or web identities assume through STS for temporary credentials.',
  description:
    'Like `aws iam create-role`. --assume-role-policy-document is the trust policy: Allow sts:AssumeRole to a Principal ' +
    '{"AWS": "<user ARN or account>"}, or sts:AssumeRoleWithWebIdentity to {"Federated": "<OIDC provider ARN>"} with ' +
    'StringEquals/StringLike conditions on "<issuer>:sub" and "<issuer>:aud". Give it permissions with iam put-role-policy. ' +
    '(tlsql action CreateRole.)',
  options: [
    roleName,
    { name: 'assume-role-policy-document', type: 'string', required: true, metavar: '<json|file://path>', help: 'The trust policy JSON, or file://<path>.' },
    { name: 'max-session-duration', type: 'integer', help: 'Longest session in seconds, 3600-43200. Default 3600.' },
    { name: 'description', type: 'string', help: 'A description of the role.' },
  ],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'CreateRole', {
      RoleName: args.roleName,
      AssumeRolePolicyDocument: await documentArg(ctx, args.assumeRolePolicyDocument),
      MaxSessionDuration: args.maxSessionDuration,
      Description: args.description,
    });
    ctx.print('CreateRole', decodeDocuments(out, ['AssumeRolePolicyDocument']));
  },
});

export const iamGetRole = defineCommand({
  name: 'iam get-role',
  summary: 'Shows an IAM role and its trust policy.',
  options: [roleName],
  async run(ctx, args) {
    ctx.print('GetRole', decodeDocuments(await callTlsqlAction(ctx, 'GetRole', { RoleName: args.roleName }), ['AssumeRolePolicyDocument']));
  },
});

export const iamListRoles = defineCommand({
  name: 'iam list-roles',
  summary: 'Lists the IAM roles.',
  options: [],
  async run(ctx) {
    ctx.print('ListRoles', decodeDocuments(await callTlsqlAction(ctx, 'ListRoles', {}, ['Roles']), ['AssumeRolePolicyDocument']));
  },
});

export const iamDeleteRole = defineCommand({
  name: 'iam delete-role',
  summary: 'Deletes an IAM role (delete its policies first); its sessions stop logging in at once.',
  options: [roleName],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteRole', { RoleName: args.roleName });
  },
});

export const iamUpdateAssumeRolePolicy = defineCommand({
  name: 'iam update-assume-role-policy',
  summary: 'Replaces the trust policy of an IAM role (applies to the next AssumeRole).',
  options: [roleName, policyDocument],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'UpdateAssumeRolePolicy', { RoleName: args.roleName, PolicyDocument: await documentArg(ctx, args.policyDocument) });
  },
});

export const iamPutRolePolicy = defineCommand({
  name: 'iam put-role-policy',
  summary: 'Sets an inline permission policy of an IAM role (JSON; Effect, Action, Resource), as for users.',
  description: 'Like `aws iam put-role-policy`; evaluated exactly as user policies (see iam put-user-policy). Applies to the next login of every session of the role. (tlsql action PutRolePolicy.)',
  options: [roleName, policyName, policyDocument],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'PutRolePolicy', { RoleName: args.roleName, PolicyName: args.policyName, PolicyDocument: await documentArg(ctx, args.policyDocument) });
  },
});

export const iamGetRolePolicy = defineCommand({
  name: 'iam get-role-policy',
  summary: 'Shows an inline policy of an IAM role.',
  options: [roleName, policyName],
  async run(ctx, args) {
    ctx.print('GetRolePolicy', decodeDocuments(await callTlsqlAction(ctx, 'GetRolePolicy', { RoleName: args.roleName, PolicyName: args.policyName }), ['PolicyDocument']));
  },
});

export const iamListRolePolicies = defineCommand({
  name: 'iam list-role-policies',
  summary: 'Lists the inline policy names of an IAM role.',
  options: [roleName],
  async run(ctx, args) {
    ctx.print('ListRolePolicies', await callTlsqlAction(ctx, 'ListRolePolicies', { RoleName: args.roleName }, ['PolicyNames']));
  },
});

export const iamDeleteRolePolicy = defineCommand({
  name: 'iam delete-role-policy',
  summary: 'Deletes an inline policy of an IAM role; its sessions lose it at their next login.',
  options: [roleName, policyName],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteRolePolicy', { RoleName: args.roleName, PolicyName: args.policyName });
  },
});

const providerArn = { name: 'open-id-connect-provider-arn', type: 'string', required: true, help: 'The provider ARN (arn:aws:iam::<account>:oidc-provider/<issuer>).' } as const;

export const iamCreateOpenIdConnectProvider = defineCommand({
  name: 'iam create-open-id-connect-provider',
  summary: 'Registers an OpenID Connect identity provider (issuer, audiences, signing keys) for AssumeRoleWithWebIdentity.',
  description:
    'Like `aws iam create-open-id-connect-provider`, plus --jwks: the provider\'s public signing keys as a JWKS document ' +
    '(the content of its jwks_uri), since tlsql does not fetch them. --url is the issuer exactly as the tokens\' iss claim. ' +
    '(tlsql action CreateOpenIDConnectProvider.)',
  options: [
    { name: 'url', type: 'string', required: true, help: 'The issuer URL (https://...), as in the tokens\' iss claim.' },
    { name: 'client-id-list', type: 'string-list', required: true, help: 'Accepted audiences (aud), e.g. sts.amazonaws.com.' },
    { name: 'jwks', type: 'string', required: true, metavar: '<json|file://path>', help: 'The JWKS document (public keys), or file://<path>.' },
  ],
  async run(ctx, args) {
    const params: Record<string, string> = { Url: args.url, JwksDocument: await documentArg(ctx, args.jwks) };
    args.clientIdList.forEach((c: string, i: number) => (params[`ClientIDList.member.${i + 1}`] = c));
    ctx.print('CreateOpenIDConnectProvider', await callTlsqlAction(ctx, 'CreateOpenIDConnectProvider', params));
  },
});

export const iamListOpenIdConnectProviders = defineCommand({
  name: 'iam list-open-id-connect-providers',
  summary: 'Lists the OpenID Connect identity providers.',
  options: [],
  async run(ctx) {
    ctx.print('ListOpenIDConnectProviders', await callTlsqlAction(ctx, 'ListOpenIDConnectProviders', {}, ['OpenIDConnectProviderList']));
  },
});

export const iamGetOpenIdConnectProvider = defineCommand({
  name: 'iam get-open-id-connect-provider',
  summary: 'Shows an OpenID Connect identity provider.',
  options: [providerArn],
  async run(ctx, args) {
    ctx.print('GetOpenIDConnectProvider', await callTlsqlAction(ctx, 'GetOpenIDConnectProvider', { OpenIDConnectProviderArn: args.openIdConnectProviderArn }, ['ClientIDList', 'ThumbprintList']));
  },
});

export const iamDeleteOpenIdConnectProvider = defineCommand({
  name: 'iam delete-open-id-connect-provider',
  summary: 'Deletes an OpenID Connect identity provider.',
  options: [providerArn],
  async run(ctx, args) {
    await callTlsqlAction(ctx, 'DeleteOpenIDConnectProvider', { OpenIDConnectProviderArn: args.openIdConnectProviderArn });
  },
});

export const iamCommands: readonly CommandDef[] = [
  iamCreateUser,
  iamGetUser,
  iamListUsers,
  iamDeleteUser,
  iamCreateAccessKey,
  iamListAccessKeys,
  iamUpdateAccessKey,
  iamDeleteAccessKey,
  iamPutUserPolicy,
  iamGetUserPolicy,
  iamListUserPolicies,
  iamDeleteUserPolicy,
  iamAllowDbConnect,
  iamCreateRole,
  iamGetRole,
  iamListRoles,
  iamDeleteRole,
  iamUpdateAssumeRolePolicy,
  iamPutRolePolicy,
  iamGetRolePolicy,
  iamListRolePolicies,
  iamDeleteRolePolicy,
  iamCreateOpenIdConnectProvider,
  iamListOpenIdConnectProviders,
  iamGetOpenIdConnectProvider,
  iamDeleteOpenIdConnectProvider,
  generateDbAuthToken,
];
