import { Signer } from '@aws-sdk/rds-signer';
import { describe, expect, it } from 'vitest';
import { checkToken, decodeToken, maskAccessKeyId, regionOfEndpoint } from '../../../src/doctor/token.js';

const HOST = 'db1.abcdefghijkl.us-east-1.tlsql.localhost';
const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const sign = (o: { host?: string; port?: number; user?: string; region?: string } = {}) =>
  new Signer({ hostname: o.host ?? HOST, port: o.port ?? 3306, username: o.user ?? 'jane', region: o.region ?? 'us-east-1', credentials: creds }).getAuthToken();

const failing = (r: ReturnType<typeof checkToken>) => r.checks.filter((c) => !c.ok).map((c) => c.name);

describe('IAM token decoding', () => {
  it('decodes a token from @aws-sdk/rds-signer, masking the key and keeping no secret', async () => {
    const d = decodeToken(await sign());
    expect(d).toMatchObject({ host: HOST, port: 3306, action: 'connect', dbUser: 'jane', algorithm: 'AWS4-HMAC-SHA256', accessKeyId: 'AKIA…MPLE', region: 'us-east-1', service: 'rds-db', expiresSec: 900, signedHeaders: 'host', signatureWellFormed: true });
    expect(JSON.stringify(d)).not.toMatch(/AKIAIOSFODNN7EXAMPLE|X-Amz-Signature/);
    expect(maskAccessKeyId('ASIAXXXXXXXXXXXXWXYZ')).toBe('ASIA…WXYZ');
  });

  it('passes every check for the endpoint, port, user and region it was made for', async () => {
    const r = checkToken(await sign(), { host: HOST, port: 3306, user: 'jane' }, new Date());
    expect(failing(r)).toEqual([]);
  });

  it('names the check that fails: user, host, port, region, expiry', async () => {
    const now = new Date();
    expect(failing(checkToken(await sign({ user: 'Jane' }), { host: HOST, port: 3306, user: 'jane' }, now))).toEqual(['user']);
    expect(failing(checkToken(await sign({ host: `db2${HOST.slice(3)}` }), { host: HOST, port: 3306 }, now))).toEqual(['host']);
    expect(failing(checkToken(await sign({ port: 3307 }), { host: HOST, port: 3306 }, now))).toEqual(['port']);
    expect(failing(checkToken(await sign({ region: 'eu-west-1' }), { host: HOST, port: 3306 }, now))).toEqual(['region']);
    const expired = checkToken(await sign(), { host: HOST, port: 3306 }, new Date(now.getTime() + 16 * 60_000));
    expect(failing(expired)).toEqual(['expiry']);
    expect(expired.checks.find((c) => c.name === 'expiry')?.detail).toMatch(/^expired 6\d s ago/);
    const future = checkToken(await sign(), { host: HOST, port: 3306 }, new Date(now.getTime() - 10 * 60_000));
    expect(future.checks.find((c) => c.name === 'expiry')?.detail).toMatch(/in the future/);
  });

  it('recognises a cut token and text that is no token', async () => {
    const tok = await sign();
    const cut = tok.replace(/(X-Amz-Signature=[0-9a-f]{50})[0-9a-f]{14}/, '$1');
    expect(failing(checkToken(cut, { host: HOST, port: 3306 }, new Date()))).toEqual(['signature']);
    expect(checkToken('hunter2', { host: HOST, port: 3306 }, new Date()).error).toMatch(/not an IAM token/);
  });

  it('reads the region from an endpoint name', () => {
    expect(regionOfEndpoint(HOST)).toBe('us-east-1');
    expect(regionOfEndpoint('mydb.123456789012.eu-central-1.rds.amazonaws.com')).toBe('eu-central-1');
    expect(regionOfEndpoint('localhost')).toBeUndefined();
  });
});
