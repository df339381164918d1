import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { parseError, startApi, testKey, type ApiHarness } from './harness.js';

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
function head(accessKeyId: string, contentLength: number): string {
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return (
    'POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
    `X-Amz-Date: ${now}\r\n` +
    `Authorization: AWS4-HMAC-SHA256 Credential=${accessKeyId}/${now.slice(0, 8)}/us-east-1/rds/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}\r\n` +
    `Content-Length: ${contentLength}\r\n\r\n`
  );
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
});
