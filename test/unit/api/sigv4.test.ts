import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import { staticCredentialStore, type CredentialStore } from '../../../src/api/credentials.js';
import { parseAmzDate, parseAuthorization, verifySigV4, type SignedRequest } from '../../../src/api/sigv4.js';
import { AppError, isAppError } from '../../../src/errors/app-error.js';
import { ManualClock } from '../../../src/lib/clock.js';

const key = { accessKeyId: 'AKIAUNITTEST00000001', secretAccessKey: 'unit-secret-unit-secret-unit-secret-0000' };
const now = new Date('2026-03-04T05:06:07Z');
const body = 'Action=DescribeDBInstances&Version=2014-10-31';

interface SignOpts {
  date?: Date;
  region?: string;
  service?: string;
  secret?: string;
  sessionToken?: string;
  method?: string;
  query?: Record<string, string>;
  extraHeaders?: Record<string, string>;
  applyChecksum?: boolean;
}

/** Signs like the SDK and returns what the server would see. */
async function sign(opts: SignOpts = {}): Promise<SignedRequest> {
  const req = new HttpRequest({
    method: opts.method ?? 'POST',
    hostname: '127.0.0.1',
    port: 9336,
    path: '/',
    query: opts.query ?? {},
    headers: { host: '127.0.0.1:9336', 'content-type': 'application/x-www-form-urlencoded', ...opts.extraHeaders },
    body,
  });
  const signer = new SignatureV4({
    service: opts.service ?? 'rds',
    region: opts.region ?? 'us-east-1',
    credentials: { accessKeyId: key.accessKeyId, secretAccessKey: opts.secret ?? key.secretAccessKey, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}) },
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: opts.applyChecksum ?? false,
  });
  const signed = await signer.sign(req, { signingDate: opts.date ?? now });
  const headers: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(signed.headers)) headers[k.toLowerCase()] = v;
  return { method: signed.method, path: '/', query: opts.query ?? {}, headers, body: Buffer.from(body) };
}

async function verify(req: SignedRequest, opts: { store?: CredentialStore; clock?: ManualClock } = {}) {
  return verifySigV4(req, {
    credentials: opts.store ?? staticCredentialStore([{ ...key, principal: 'unit' }]),
    region: 'us-east-1',
    service: 'rds',
    clock: opts.clock ?? new ManualClock(now),
  });
}

async function fault(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a fault');
}

describe('parseAuthorization', () => {
  it('parses the three components the SDKs send', () => {
    expect(parseAuthorization('AWS4-HMAC-SHA256 Credential=AKID/20260304/us-east-1/rds/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc123')).toEqual({
      accessKeyId: 'AKID',
      scopeDate: '20260304',
      scopeRegion: 'us-east-1',
      scopeService: 'rds',
      scopeTerminator: 'aws4_request',
      signedHeaders: ['content-type', 'host', 'x-amz-date'],
      signature: 'abc123',
    });
  });

  it('lists every missing component, as AWS does', () => {
    expect(() => parseAuthorization('AWS4-HMAC-SHA256 Credential=a/b/c/d/e')).toThrow(
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
    );
  });

  it('refuses other algorithms and malformed credentials with IncompleteSignature', () => {
    for (const h of ['AWS AKID:sig', 'AWS4-HMAC-SHA256 Credential=AKID/20260304/us-east-1/rds, SignedHeaders=host, Signature=x', 'AWS4-HMAC-SHA256 garbage']) {
      expect(() => parseAuthorization(h)).toThrow(expect.objectContaining({ code: 'IncompleteSignature' }));
    }
  });
});

describe('parseAmzDate', () => {
  it('accepts ISO-8601 basic format only and rejects impossible dates', () => {
    expect(parseAmzDate('20260304T050607Z')?.toISOString()).toBe('2026-03-04T05:06:07.000Z');
    expect(parseAmzDate('2026-03-04T05:06:07Z')).toBeNull();
    expect(parseAmzDate('20260230T000000Z')).toBeNull();
    expect(parseAmzDate('20261304T250000Z')).toBeNull();
  });
});

describe('verifySigV4', () => {
  it('accepts a request signed by the SDK signer and returns the principal', async () => {
    expect(await verify(await sign())).toEqual({ accessKeyId: key.accessKeyId, principal: 'unit' });
  });

  it('accepts a signed x-amz-content-sha256 that matches the body', async () => {
    expect(await verify(await sign({ applyChecksum: true }))).toMatchObject({ principal: 'unit' });
  });

  it('canonicalises query parameters regardless of their order on the wire', async () => {
    const req = await sign({ method: 'GET', query: { Version: '2014-10-31', Action: 'DescribeDBInstances', 'Filters.Filter.1.Name': 'a b' } });
    req.body = Buffer.from(body);
    expect(await verify({ ...req, query: { 'Filters.Filter.1.Name': 'a b', Action: 'DescribeDBInstances', Version: '2014-10-31' } })).toMatchObject({ principal: 'unit' });
  });

  it('requires an Authorization header', async () => {
    const req = await sign();
    delete req.headers['authorization'];
    expect(await fault(verify(req))).toEqual({ code: 'MissingAuthenticationToken', message: 'Request is missing Authentication Token' });
  });

  it('refuses a wrong secret, a changed body and a changed signed header with SignatureDoesNotMatch', async () => {
    expect((await fault(verify(await sign({ secret: 'not-the-secret-not-the-secret-not-the-00' })))).code).toBe('SignatureDoesNotMatch');
    const tampered = await sign();
    tampered.body = Buffer.from('Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=x');
    expect((await fault(verify(tampered))).code).toBe('SignatureDoesNotMatch');
    const header = await sign();
    header.headers['content-type'] = 'text/plain';
    expect((await fault(verify(header))).code).toBe('SignatureDoesNotMatch');
  });

  it('ignores headers that were not signed', async () => {
    const req = await sign();
    req.headers['user-agent'] = 'something else';
    req.headers['x-forwarded-for'] = '10.0.0.1';
    expect(await verify(req)).toMatchObject({ principal: 'unit' });
  });

  it('refuses an x-amz-content-sha256 that does not match the body even if signed', async () => {
    const req = await sign({ extraHeaders: { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' } });
    expect(await fault(verify(req))).toMatchObject({ code: 'SignatureDoesNotMatch', message: expect.stringContaining('x-amz-content-sha256') });
  });

  it('refuses unknown and inactive keys with InvalidClientTokenId', async () => {
    const empty: CredentialStore = { lookup: async () => null };
    expect(await fault(verify(await sign(), { store: empty }))).toEqual({ code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.' });
    const inactive: CredentialStore = { lookup: async () => ({ secretAccessKey: key.secretAccessKey, active: false, principal: 'x' }) };
    expect((await fault(verify(await sign(), { store: inactive }))).code).toBe('InvalidClientTokenId');
  });

  it('refuses a credential scoped to another region, service or terminator', async () => {
    expect(await fault(verify(await sign({ region: 'eu-west-1' })))).toEqual({ code: 'SignatureDoesNotMatch', message: "Credential should be scoped to a valid region, not 'eu-west-1'." });
    expect(await fault(verify(await sign({ service: 'rds-db' })))).toEqual({ code: 'SignatureDoesNotMatch', message: "Credential should be scoped to correct service: 'rds'." });
    const req = await sign();
    req.headers['authorization'] = String(req.headers['authorization']).replace('aws4_request', 'aws5_request');
    expect((await fault(verify(req))).message).toBe("Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'.");
  });

  it('refuses a scope date that differs from X-Amz-Date', async () => {
    const req = await sign();
    req.headers['authorization'] = String(req.headers['authorization']).replace('/20260304/', '/20260303/');
    expect((await fault(verify(req))).message).toMatch(/^Date in Credential scope does not match YYYYMMDD/);
  });

  it('requires host to be signed', async () => {
    const req = await sign();
    req.headers['authorization'] = String(req.headers['authorization']).replace('SignedHeaders=content-type;host;x-amz-date', 'SignedHeaders=content-type;x-amz-date');
    expect((await fault(verify(req))).message).toBe("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });

  it('requires a well-formed X-Amz-Date', async () => {
    const req = await sign();
    req.headers['x-amz-date'] = '2026-03-04T05:06:07Z';
    expect((await fault(verify(req))).code).toBe('IncompleteSignature');
    delete req.headers['x-amz-date'];
    expect((await fault(verify(req))).code).toBe('IncompleteSignature');
  });

  it('accepts 5 minutes of skew either way and refuses more with RequestExpired', async () => {
    const req = await sign();
    expect(await verify(req, { clock: new ManualClock(now.getTime() + 5 * 60_000) })).toMatchObject({ principal: 'unit' });
    expect(await verify(req, { clock: new ManualClock(now.getTime() - 5 * 60_000) })).toMatchObject({ principal: 'unit' });
    expect(await fault(verify(req, { clock: new ManualClock(now.getTime() + 5 * 60_000 + 1000) }))).toEqual({
      code: 'RequestExpired',
      message: 'Signature expired: 20260304T050607Z is now earlier than 20260304T050608Z (20260304T051108Z - 5 min.)',
    });
    expect(await fault(verify(req, { clock: new ManualClock(now.getTime() - 10 * 60_000) }))).toEqual({
      code: 'RequestExpired',
      message: 'Signature not yet current: 20260304T050607Z is still later than 20260304T050107Z (20260304T045607Z + 5 min.)',
    });
  });

  describe('X-Amz-Security-Token', () => {
    it('is refused with a clear InvalidClientTokenId when the store issues no session tokens', async () => {
      expect(await fault(verify(await sign({ sessionToken: 'tok' })))).toMatchObject({ code: 'InvalidClientTokenId', message: expect.stringContaining('does not issue temporary credentials') });
    });

    it('is verified by the store when it supports session tokens, and must be signed', async () => {
      const store: CredentialStore = {
        lookup: async () => ({ secretAccessKey: key.secretAccessKey, active: true, principal: 'temp' }),
        verifySessionToken: async (_id, token) => token === 'good-token',
      };
      expect(await verify(await sign({ sessionToken: 'good-token' }), { store })).toMatchObject({ principal: 'temp' });
      expect((await fault(verify(await sign({ sessionToken: 'bad-token' }), { store }))).code).toBe('InvalidClientTokenId');
      const unsigned = await sign();
      unsigned.headers['x-amz-security-token'] = 'good-token';
      expect((await fault(verify(unsigned, { store }))).code).toBe('SignatureDoesNotMatch');
    });

    it('takes the principal and secret from the session, and refuses a temporary key without its token', async () => {
      const store: CredentialStore = {
        lookup: async () => ({ secretAccessKey: 'not-the-secret', active: true, principal: '', requiresSessionToken: true }),
        verifySessionToken: async (_id, token) => (token === 'good-token' ? { principal: 'arn:aws:sts::123456789012:assumed-role/r/s', secretAccessKey: key.secretAccessKey } : false),
      };
      expect(await verify(await sign({ sessionToken: 'good-token' }), { store })).toEqual({ accessKeyId: key.accessKeyId, principal: 'arn:aws:sts::123456789012:assumed-role/r/s' });
      expect(await fault(verify(await sign({ secret: 'not-the-secret' }), { store }))).toMatchObject({ code: 'InvalidClientTokenId', message: expect.stringContaining('need their session token') });
      const expired: CredentialStore = {
        ...store,
        verifySessionToken: async () => {
          throw new AppError('ExpiredToken', 'The security token included in the request is expired');
        },
      };
      expect((await fault(verify(await sign({ sessionToken: 'good-token' }), { store: expired }))).code).toBe('ExpiredToken');
    });
  });
});
