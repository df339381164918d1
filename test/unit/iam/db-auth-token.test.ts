import { Signer } from '@aws-sdk/rds-signer';
import { describe, expect, it } from 'vitest';
import { parseDbAuthToken, verifyDbAuthToken, TokenRefusedError, type TokenExpectations } from '../../../src/iam/db-auth-token.js';
import { parsePolicyDocument } from '../../../src/iam/policy.js';
import { run } from '../../helpers/clients.js';

const host = 'mydb.abcdefghijkl.us-east-1.tlsql.localhost';
const port = 3306;
const key = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

function sign(o: { user?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } } = {}): Promise<string> {
  return new Signer({ hostname: host, port, username: o.user ?? 'jane', region: 'us-east-1', credentials: o.credentials ?? key }).getAuthToken();
}

function signedAt(token: string): number {
  const d = parseDbAuthToken(token).params.get('X-Amz-Date')!;
  return Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15));
}

function expectations(over: Partial<TokenExpectations> = {}): TokenExpectations {
  return {
    user: 'jane',
    host,
    port,
    region: 'us-east-1',
    now: new Date(),
    lookupKey: (id) => (id === key.accessKeyId ? { secretAccessKey: key.secretAccessKey, active: true, principal: 'arn:aws:iam::123456789012:user/app' } : null),
    lookupSession: (id) => {
      throw new TokenRefusedError('unknown_session', 'not issued here', id);
    },
    ...over,
  };
}

async function refusal(token: string, over: Partial<TokenExpectations> = {}): Promise<string> {
  try {
    await verifyDbAuthToken(token, expectations(over));
  } catch (e) {
    if (e instanceof TokenRefusedError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('IAM database authentication tokens', () => {
  it('accepts a token from @aws-sdk/rds-signer and names its key and principal', async () => {
    const v = await verifyDbAuthToken(await sign(), expectations());
    expect(v).toMatchObject({ accessKeyId: key.accessKeyId, principal: 'arn:aws:iam::123456789012:user/app' });
  });

  it('accepts a token from `aws rds generate-db-auth-token` (botocore orders parameters differently)', async () => {
    const r = await run('aws', ['rds', 'generate-db-auth-token', '--hostname', host, '--port', String(port), '--username', 'jane', '--region', 'us-east-1'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    if (r.code !== 0) throw new Error(`aws cli failed: ${r.stderr}`);
    const token = r.stdout.trim();
    expect(token.indexOf('DBUser=')).toBeGreaterThan(-1);
    expect(await refusal(token)).toBe('accepted');
  });

  it('canonicalises: the same parameters in another order still verify', async () => {
    const token = await sign();
    const [hp, q] = token.split('/?') as [string, string];
    const shuffled = `${hp}/?${q.split('&').reverse().join('&')}`;
    expect(shuffled).not.toBe(token);
    expect(await refusal(shuffled)).toBe('accepted');
  });

  it('compares the host case-insensitively and DBUser case-sensitively', async () => {
    expect(await refusal(await sign(), { host: host.toUpperCase() })).toBe('accepted');
    expect(await refusal(await sign({ user: 'Jane' }))).toBe('wrong_user');
  });

  it('accepts until X-Amz-Date + 900 s and refuses one second later', async () => {
    const token = await sign();
    const t0 = signedAt(token);
    expect(await refusal(token, { now: new Date(t0 + 900_000) })).toBe('accepted');
    expect(await refusal(token, { now: new Date(t0 + 901_000) })).toBe('expired');
  });

  it('tolerates a client clock ahead by the configured skew, not more', async () => {
    const token = await sign();
    const t0 = signedAt(token);
    expect(await refusal(token, { now: new Date(t0 - 30_000), clockSkewMs: 30_000 })).toBe('accepted');
    expect(await refusal(token, { now: new Date(t0 - 30_001), clockSkewMs: 30_000 })).toBe('not_yet_valid');
  });

  it.each<[string, Partial<TokenExpectations>]>([
    ['wrong_host', { host: 'other.example' }],
    ['wrong_port', { port: 3307 }],
    ['wrong_region', { region: 'eu-west-1' }],
    ['wrong_user', { user: 'bob' }],
    ['unknown_key', { lookupKey: () => null }],
    ['inactive_key', { lookupKey: () => ({ secretAccessKey: key.secretAccessKey, active: false, principal: 'p' }) }],
    ['bad_signature', { lookupKey: () => ({ secretAccessKey: 'another-secret', active: true, principal: 'p' }) }],
  ])('refuses with %s', async (reason, over) => {
    expect(await refusal(await sign(), over)).toBe(reason);
  });

  it('refuses tampered parameters, longer lifetimes, session tokens and garbage', async () => {
    const token = await sign();
    expect(await refusal(token.replace('X-Amz-Expires=900', 'X-Amz-Expires=901'))).toBe('bad_expires');
    expect(await refusal(token.replace('X-Amz-Expires=900', 'X-Amz-Expires=600'))).toBe('bad_signature');
    expect(await refusal(token.replace('Action=connect', 'Action=Connect'))).toBe('bad_action');
    expect(await refusal(token.replace('%2Frds-db%2F', '%2Frds%2F'))).toBe('bad_scope');
    expect(await refusal(await sign({ credentials: { ...key, sessionToken: 'abc' } }))).toBe('unknown_session');
    expect(await refusal('Sup3r-secret!')).toBe('malformed');
    expect(await refusal(`${token}&DBUser=jane`)).toBe('malformed');
    expect(await refusal(token.replace(/&X-Amz-Signature=[0-9a-f]+/, ''))).toBe('malformed');
    expect(await refusal(token.replace('DBUser=jane', 'DBUser=%E0%A4%A'))).toBe('malformed');
  });

  it('accepts a temporary key with its session token, and the token ends with its session', async () => {
    const temp = { accessKeyId: 'ASIAQWERTYUIOPASDFGH', secretAccessKey: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNl', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE+/=' };
    const sessionEnds = new Date(Date.now() + 120_000);
    const narrow = parsePolicyDocument(JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*' }] }));
    const lookupSession: TokenExpectations['lookupSession'] = (id, tok) => {
      if (id !== temp.accessKeyId || tok !== temp.sessionToken) throw new TokenRefusedError('unknown_session', 'no', id);
      return { secretAccessKey: temp.secretAccessKey, active: true, principal: 'arn:aws:sts::123456789012:assumed-role/app/s1', expiresAt: sessionEnds, sessionPolicy: narrow };
    };
    const v = await verifyDbAuthToken(await sign({ credentials: temp }), expectations({ lookupSession }));
    expect(v).toMatchObject({ accessKeyId: temp.accessKeyId, principal: 'arn:aws:sts::123456789012:assumed-role/app/s1', expiresAt: sessionEnds, sessionPolicy: narrow });
    // The session token is part of the signed query: another one does not verify.
    const swapped = (await sign({ credentials: temp })).replace(encodeURIComponent(temp.sessionToken).replace(/[+/=]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`), 'other');
    expect(await refusal(swapped, { lookupSession })).toBe('unknown_session');
    // The temporary key without its token is refused before any lookup.
    expect(await refusal(await sign({ credentials: { accessKeyId: temp.accessKeyId, secretAccessKey: temp.secretAccessKey } }), { lookupSession })).toBe('missing_session_token');
  });

  it('accepts a signature over the host as written or lower-cased (botocore), nothing else', async () => {
    const upper = 'MyDB.ABCDEFGHIJKL.us-east-1.tlsql.localhost';
    // @aws-sdk/rds-signer signs the host as typed.
    const sdk = await new Signer({ hostname: upper, port, username: 'jane', region: 'us-east-1', credentials: key }).getAuthToken();
    expect(sdk.startsWith(`${upper}:${port}/?`)).toBe(true);
    expect(await refusal(sdk)).toBe('accepted');
    // botocore writes the host as typed but signs it lower-cased.
    const r = await run('aws', ['rds', 'generate-db-auth-token', '--hostname', upper, '--port', String(port), '--username', 'jane', '--region', 'us-east-1'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
    });
    if (r.code !== 0) throw new Error(`aws cli failed: ${r.stderr}`);
    const boto = r.stdout.trim();
    expect(boto.startsWith(`${upper}:${port}/?`)).toBe(true);
    expect(await refusal(boto)).toBe('accepted');
    // A signature over any other spelling of the host (here upper-cased) is refused.
    const other = await new Signer({ hostname: upper.toUpperCase(), port, username: 'jane', region: 'us-east-1', credentials: key }).getAuthToken();
    const forged = `${upper}:${port}/?${other.split('/?')[1]}`;
    expect(await refusal(forged)).toBe('bad_signature');
  });

  it('verifies user names that need percent-encoding', async () => {
    const user = 'ja ne+/é';
    expect(await refusal(await sign({ user }), { user })).toBe('accepted');
  });
});
