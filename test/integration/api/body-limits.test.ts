import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { randomBytes } from 'node:crypto';
import { IamDirectory } from '../../../src/iam/iam-directory.js';
import { SessionTokens } from '../../../src/iam/sts-sessions.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { Store } from '../../../src/store/store.js';
import { parseError, signedPost, startApi, testKey, type ApiHarness } from './harness.js';

let api: ApiHarness | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await api?.close();
  api = undefined;
});

/** A raw connection that records what the server sends and when it closes. */
function open(port: number) {
  const sock = connect(port, '127.0.0.1');
  sockets.push(sock);
  let text = '';
  sock.on('data', (d: Buffer) => (text += d.toString('utf8')));
  sock.on('error', () => {});
  const closed = new Promise<number>((resolve) => sock.on('close', () => resolve(Date.now())));
  const responded = (timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const poll = () => {
        if (/\r\n\r\n/.test(text) && (!/content-length: (\d+)/i.test(text) || text.split('\r\n\r\n')[1]!.length >= Number(/content-length: (\d+)/i.exec(text)![1]))) resolve(text);
        else if (Date.now() > deadline) reject(new Error(`no response within ${timeoutMs} ms; got ${JSON.stringify(text)}`));
        else setTimeout(poll, 10);
      };
      poll();
    });
  return { sock, closed, responded, text: () => text };
}

/** Request head with a well-formed SigV4 Authorization naming `accessKeyId` (the signature itself is not checked before the body). */
function head(accessKeyId: string, contentLength: number, o: { service?: string; sessionToken?: string } = {}): string {
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const signed = o.sessionToken !== undefined ? 'host;x-amz-date;x-amz-security-token' : 'host;x-amz-date';
  return (
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
    `X-Amz-Date: ${now}\r\n` +
    (o.sessionToken !== undefined ? `X-Amz-Security-Token: ${o.sessionToken}\r\n` : '') +
    `Authorization: AWS4-HMAC-SHA256 Credential=${accessKeyId}/${now.slice(0, 8)}/us-east-1/${o.service ?? 'rds'}/aws4_request, SignedHeaders=${signed}, Signature=${'0'.repeat(64)}\r\n` +
    `Content-Length: ${contentLength}\r\n\r\n`
  );
}

/** Head of an unsigned form POST, as AssumeRoleWithWebIdentity comes. */
function unsignedHead(contentLength: number): string {
  return `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${contentLength}\r\n\r\n`;
}

/** An IAM over an in-memory store with one user (its key signs STS calls) and a role it may assume. */
function realIam() {
  // The IAM's own clock, started now: moving it expires sessions while request dates stay current.
  const clock = new ManualClock(Date.now());
  const iam = new IamDirectory({ store: new Store(':memory:'), masterKey: randomBytes(32), accountId: '123456789012', clock });
  iam.createUser('dev');
  const key = iam.createAccessKey('dev');
  const role = iam.createRole('app', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:user/dev' }, Action: 'sts:AssumeRole' }] }));
  return { iam, clock, key: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, role };
}

describe('API request bodies are bounded in time, concurrency and by the access key', () => {
  it('cuts off a client that sends headers and dribbles its body, after the body timeout', async () => {
    api = await startApi({ bodyTimeoutMs: 400 });
    const c = open(api.port);
    const started = Date.now();
    c.sock.write(head(testKey.accessKeyId, 1000) + 'Action=');
    const dribble = setInterval(() => c.sock.writable && c.sock.write('x'), 50);
    try {
      const res = await c.responded();
      expect(res).toMatch(/^HTTP\/1\.1 408 /);
      expect(res.toLowerCase()).toContain('connection: close');
      expect(parseError(res).code).toBe('RequestTimeout');
      const closedAt = await c.closed;
      expect(closedAt - started).toBeGreaterThanOrEqual(400);
      expect(closedAt - started).toBeLessThan(5000);
    } finally {
      clearInterval(dribble);
    }
  });

  it('closes a connection whose headers do not arrive within the headers timeout', async () => {
    api = await startApi({ headersTimeoutMs: 300 });
    const c = open(api.port);
    const started = Date.now();
    c.sock.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const dribble = setInterval(() => c.sock.writable && c.sock.write('X-Slow: 1\r\n'), 50);
    try {
      const closedAt = await c.closed;
      expect(c.text()).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAt - started).toBeGreaterThanOrEqual(300);
      expect(closedAt - started).toBeLessThan(5000);
    } finally {
      clearInterval(dribble);
    }
  });

  it('answers a request naming an unknown access key with InvalidClientTokenId without waiting for its body', async () => {
    api = await startApi({ bodyTimeoutMs: 60_000 });
    const c = open(api.port);
    // A body of 1 MiB is announced and none is sent: the answer must not depend on it.
    c.sock.write(head('AKIANOSUCHKEY0000000', 1024 * 1024));
    const res = await c.responded(5000);
    expect(res).toMatch(/^HTTP\/1\.1 403 /);
    expect(parseError(res).code).toBe('InvalidClientTokenId');
    expect(res.toLowerCase()).toContain('connection: close');
    await c.closed;
    expect(api.control.calls).toEqual([]);
  });

  it('answers an unsigned request with MissingAuthenticationToken without waiting for its body, and closes the connection', async () => {
    api = await startApi({ bodyTimeoutMs: 60_000 });
    const c = open(api.port);
    c.sock.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1048576\r\n\r\nAction=');
    const res = await c.responded(5000);
    expect(res).toMatch(/^HTTP\/1\.1 403 /);
    expect(parseError(res).code).toBe('MissingAuthenticationToken');
    expect(res.toLowerCase()).toContain('connection: close');
    await c.closed;
  });

  it('refuses bodies beyond the concurrency cap with Throttling while SDK calls still work', async () => {
    api = await startApi({ maxConcurrentBodies: 3, bodyTimeoutMs: 60_000 });
    const holders = [open(api.port), open(api.port), open(api.port)];
    for (const h of holders) h.sock.write(head(testKey.accessKeyId, 1000) + 'Action=Desc');
    // Bounded wait until the server reads all three bodies (each holds a slot).
    const probe = async () => {
      const c = open(api!.port);
      c.sock.write(head(testKey.accessKeyId, 10) + '0123456789');
      return c.responded();
    };
    let refused = '';
    for (let i = 0; i < 100 && !/Throttling/.test(refused); i++) refused = await probe();
    expect(refused).toMatch(/^HTTP\/1\.1 400 /);
    expect(parseError(refused).code).toBe('Throttling');

    // An SDK call meanwhile is refused with Throttling, which the SDK retries with backoff: once a
    // holder gives up and frees its slot, the retry goes through.
    const throttledBefore = api.logs.filter((l) => l.includes('"code":"Throttling"')).length;
    const sdk = api.client({ maxAttempts: 10 });
    const call = sdk.send(new DescribeDBInstancesCommand({}));
    for (let i = 0; i < 500 && api.logs.filter((l) => l.includes('"code":"Throttling"')).length === throttledBefore; i++) await new Promise((r) => setTimeout(r, 10));
    expect(api.logs.filter((l) => l.includes('"code":"Throttling"')).length).toBeGreaterThan(throttledBefore);
    holders[0]!.sock.destroy();
    const out = await call;
    expect(out.DBInstances).toBeDefined();
    expect(out.$metadata.attempts).toBeGreaterThan(1);
  });
  it('reads unsigned bodies in a small pool of their own: stalled unsigned bodies do not throttle signed requests', async () => {
    api = await startApi({ maxConcurrentBodies: 3, maxConcurrentUnsignedBodies: 4, bodyTimeoutMs: 60_000 });
    // Four unsigned 32 KiB bodies that never finish: more than the signed pool holds.
    for (let i = 0; i < 4; i++) open(api.port).sock.write(unsignedHead(32 * 1024) + 'Action=AssumeRoleWithWebIdentity');
    // Bounded wait until the server reads all four (then a fifth unsigned body is refused).
    const form = 'Action=AssumeRoleWithWebIdentity&Version=2011-06-15';
    let refused = '';
    for (let i = 0; i < 100 && !/Throttling/.test(refused); i++) {
      const c = open(api.port);
      c.sock.write(unsignedHead(form.length) + form);
      refused = await c.responded();
    }
    expect(refused).toMatch(/^HTTP\/1\.1 400 /);
    expect(parseError(refused).code).toBe('Throttling');
    expect(parseError(refused).message).toContain('more than 4 unsigned requests');
    // A request signed with a known key still has all of its pool.
    const res = await signedPost(api.url, 'Action=DescribeDBInstances&Version=2014-10-31');
    expect(res.status).toBe(200);
  });

  it('refuses a temporary (ASIA) key without a session token, or with one this tlsql did not issue, without waiting for its body', async () => {
    const { iam } = realIam();
    api = await startApi({ bodyTimeoutMs: 60_000, iam });
    const keyId = SessionTokens.newAccessKeyId();
    const forged = Buffer.from(randomBytes(200)).toString('base64');
    for (const sessionToken of [undefined, forged]) {
      const c = open(api.port);
      // A body of 1 MiB is announced and none is sent: the answer must not depend on it.
      c.sock.write(head(keyId, 1024 * 1024, { service: 'sts', ...(sessionToken !== undefined ? { sessionToken } : {}) }));
      const res = await c.responded(5000);
      expect(res).toMatch(/^HTTP\/1\.1 403 /);
      expect(parseError(res).code).toBe('InvalidClientTokenId');
      expect(res.toLowerCase()).toContain('connection: close');
      await c.closed;
    }
  });

  it('answers ExpiredToken for an expired session before reading the body, and still serves a valid session', async () => {
    const { iam, clock, role } = realIam();
    api = await startApi({ bodyTimeoutMs: 60_000, iam });
    const live = iam.assumeRole('arn:aws:iam::123456789012:user/dev', { roleArn: role.arn, roleSessionName: 's1', durationSeconds: 900 }).credentials;
    const ok = await signedPost(api.url, 'Action=GetCallerIdentity&Version=2011-06-15', { service: 'sts', credentials: { accessKeyId: live.accessKeyId, secretAccessKey: live.secretAccessKey, sessionToken: live.sessionToken } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('assumed-role/app/s1');
    // The same session token under another key id opens nothing.
    const other = open(api.port);
    other.sock.write(head(SessionTokens.newAccessKeyId(), 1024 * 1024, { service: 'sts', sessionToken: live.sessionToken }));
    expect(parseError(await other.responded(5000)).code).toBe('InvalidClientTokenId');
    clock.advance(900_000);
    const expired = open(api.port);
    expired.sock.write(head(live.accessKeyId, 1024 * 1024, { service: 'sts', sessionToken: live.sessionToken }));
    const res = await expired.responded(5000);
    expect(res).toMatch(/^HTTP\/1\.1 403 /);
    expect(parseError(res).code).toBe('ExpiredToken');
  });
});
