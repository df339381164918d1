/**
 * credentials: prints the API access key as shell variables so the AWS CLI and SDKs talk to
 * tlsql (`eval "$(tlsql credentials)"; aws rds describe-db-instances`). The one command that
 * prints the secret key, because that is what it is asked for.
 */

import { ExitCode, UsageError } from '../errors.js';
import { defineCommand } from '../registry.js';

const shells = ['sh', 'bash', 'zsh', 'fish', 'powershell'] as const;

/** Quotes `v` for `shell` so any value survives `eval`. */
export function shellQuote(v: string, shell: string): string {
  if (shell === 'powershell') return `'${v.replace(/'/g, "''")}'`;
  if (shell === 'fish') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return `'${v.replace(/'/g, `'\\''`)}'`;
}

/** One assignment line per variable in `shell`'s syntax. */
export function formatExports(vars: Record<string, string>, shell: string): string {
  return Object.entries(vars)
    .map(([k, v]) => {
      const q = shellQuote(v, shell);
      if (shell === 'fish') return `set -gx ${k} ${q};`;
      if (shell === 'powershell') return `$Env:${k} = ${q}`;
      return `export ${k}=${q}`;
    })
    .join('\n') + '\n';
}

export const credentialsCommand = defineCommand({
  name: 'credentials',
  summary: 'Prints AWS_* variables (access key, region, endpoint) for using the AWS CLI or an SDK with tlsql.',
  description:
    'Prints AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION and AWS_ENDPOINT_URL_RDS as ' +
    'shell assignments, e.g. `eval "$(tlsql credentials)"` and then `aws rds describe-db-instances`. This prints ' +
    'the secret key: do not paste the output where others can read it.',
  options: [
    { name: 'shell', type: 'string', choices: shells, help: 'Syntax of the output. Default sh (also for bash and zsh).' },
    {
      name: 'aws-config',
      type: 'boolean',
      help:
        'Print an ~/.aws/config snippet instead: a profile with the key, region and endpoint_url (for every service, so RDS and STS both reach tlsql), ' +
        'and with --role-arn a second profile that assumes the role through it (role_arn + source_profile), for the AWS CLI and the SDKs\' default credential chain.',
    },
    { name: 'role-arn', type: 'string', help: 'With --aws-config: the role the second profile assumes.' },
    { name: 'profile', type: 'string', help: 'With --aws-config: the profile name. Default tlsql (the role profile is <name>-role).' },
  ],
  async run(ctx, args) {
    const cc = await ctx.clientContext();
    const c = cc.credentials;
    if (c === undefined) return ExitCode.config;
    if (args.awsConfig === true) {
      ctx.io.stdout.write(awsConfigSnippet({ profile: args.profile ?? 'tlsql', roleArn: args.roleArn, region: cc.region, endpoint: cc.endpoint, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey }));
      return;
    }
    if (args.roleArn !== undefined || args.profile !== undefined) throw new UsageError('--role-arn and --profile go with --aws-config', ctx.command);
    const vars: Record<string, string> = {
      AWS_ACCESS_KEY_ID: c.accessKeyId,
      AWS_SECRET_ACCESS_KEY: c.secretAccessKey,
      ...(c.sessionToken !== undefined ? { AWS_SESSION_TOKEN: c.sessionToken } : {}),
      AWS_REGION: cc.region,
      AWS_DEFAULT_REGION: cc.region,
      AWS_ENDPOINT_URL_RDS: cc.endpoint,
    };
    ctx.io.stdout.write(formatExports(vars, args.shell ?? 'sh'));
    if (ctx.io.isTTY) ctx.io.stderr.write('# These include the secret key. Load them with: eval "$(tlsql credentials)"\n');
  },
});

/**
 * An ~/.aws/config snippet: `[profile <name>]` with the key, and `[profile <name>-role]` assuming
 * `roleArn` through it. `endpoint_url` in a profile applies to every service (botocore >= 1.31,
 * AWS SDK for JavaScript v3), so the role's STS calls and RDS calls both go to tlsql.
 */
export function awsConfigSnippet(o: { profile: string; roleArn: string | undefined; region: string; endpoint: string; accessKeyId: string; secretAccessKey: string }): string {
  const lines = [
    '# ~/.aws/config (this includes the secret key)',
    `[profile ${o.profile}]`,
    `aws_access_key_id = ${o.accessKeyId}`,
    `aws_secret_access_key = ${o.secretAccessKey}`,
    `region = ${o.region}`,
    `endpoint_url = ${o.endpoint}`,
  ];
  if (o.roleArn !== undefined) {
    lines.push('', `[profile ${o.profile}-role]`, `role_arn = ${o.roleArn}`, `source_profile = ${o.profile}`, 'role_session_name = tlsql', `region = ${o.region}`, `endpoint_url = ${o.endpoint}`);
  }
  return lines.join('\n') + '\n';
}
