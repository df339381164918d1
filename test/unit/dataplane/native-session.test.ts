import { describe, expect, test } from 'vitest';
import type { NativeEvent, RawDataplane } from '../../../src/dataplane/native/native-binding.js';
import { NativeSession } from '../../../src/dataplane/native/native-session.js';

/** A stand-in for the addon that records the commands a session gives it. */
function fakeDataplane() {
  const calls: { name: string; args: unknown[] }[] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push({ name, args });
    };
  const dp = {
    openSession: () => 1,
    write: rec('write'),
    ack: rec('ack'),
    feed: rec('feed'),
    startServerTls: rec('startServerTls'),
    startClientTls: rec('startClientTls'),
    relay: rec('relay'),
    inspectDone: rec('inspectDone'),
    close: rec('close'),
    counters: () => ({ clientIn: 1, clientOut: 2, engineIn: 3, engineOut: 4 }),
    stats: () => [],
    setBusyPollMicros: rec('setBusyPollMicros'),
    shutdown: rec('shutdown'),
  } satisfies RawDataplane;
  return { dp, calls };
}

const data = (side: 'client' | 'engine', text: string): NativeEvent => ({ session: 1, type: 'data', side, data: Buffer.from(text) });

describe('NativeSession switching', () => {
  test('passes unconsumed and buffered client bytes to TLS, and sends bytes that arrive during the switch back to the loop', async () => {
    const { dp, calls } = fakeDataplane();
    const s = new NativeSession(dp, 1);
    s.handle(data('client', 'SSLR+hello'));
    // The login code consumed "SSLR" and kept "+" (e.g. PacketChannel's remainder); "hello" is still buffered.
    const buffered = s.client.read(5) as Buffer;
    expect(buffered.toString()).toBe('SSLR+');
    const tls = s.startServerTls({ handle: {} }, Buffer.from('+'));
    expect(calls.find((c) => c.name === 'startServerTls')!.args.slice(2)).toEqual([Buffer.from('+hello'), 10]);
    // In flight when TLS started: back to the loop, and counted for the next switch's offset.
    s.handle(data('client', 'more'));
    expect(calls.filter((c) => c.name === 'feed').map((c) => c.args)).toEqual([[1, 0, Buffer.from('more')]]);
    s.handle({ session: 1, type: 'secure', side: 'client', version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', resumed: false, peerCertificates: [], verifyError: null, verifyErrorMessage: null });
    await expect(tls).resolves.toMatchObject({ version: 'TLSv1.3', verifyError: null });
    s.handle(data('client', 'plain'));
    s.relay();
    const relay = calls.find((c) => c.name === 'relay')!.args[1] as { clientPending: Buffer; clientReceived: number };
    expect(relay.clientPending.toString()).toBe('plain');
    expect(relay.clientReceived).toBe(10 + 4 + 5);
  });

  test('a failed handshake rejects with the code and does not error the stream', async () => {
    const { dp } = fakeDataplane();
    const s = new NativeSession(dp, 1);
    const errors: Error[] = [];
    s.client.on('error', (e) => errors.push(e));
    const tls = s.startServerTls({ handle: {} });
    s.handle({ session: 1, type: 'error', side: 'client', reason: 'no shared cipher', code: 'ERR_SSL_NO_SHARED_CIPHER' });
    await expect(tls).rejects.toMatchObject({ code: 'ERR_SSL_NO_SHARED_CIPHER' });
    expect(errors).toEqual([]);
  });

  test('close rejects pending work, ends both streams and keeps the final byte counts', async () => {
    const { dp } = fakeDataplane();
    const s = new NativeSession(dp, 1);
    const link = s.startClientTls({ handle: {} });
    const closes: string[] = [];
    s.on('close', (reason: string) => closes.push(reason));
    s.handle({ session: 1, type: 'close', side: 'client', reason: 'engine closed', bytes: { clientIn: 10, clientOut: 20, engineIn: 30, engineOut: 40 } });
    await expect(link).rejects.toThrow(/session closed during the TLS handshake: engine closed/);
    await expect(s.engineConnected).rejects.toThrow(/session closed/);
    expect(closes).toEqual(['engine closed']);
    expect(s.bytes()).toEqual({ clientIn: 10, clientOut: 20, engineIn: 30, engineOut: 40 });
    expect(s.client.destroyed && s.engine.destroyed).toBe(true);
  });

  test('acknowledges bytes to the loop only as the reader takes them', async () => {
    const { dp, calls } = fakeDataplane();
    const s = new NativeSession(dp, 1);
    const acked = () => calls.filter((c) => c.name === 'ack').reduce((a, c) => a + (c.args[2] as number), 0);
    for (let i = 0; i < 3; i++) s.handle({ session: 1, type: 'data', side: 'client', data: Buffer.alloc(40 * 1024) });
    // Nobody reads: nothing is acknowledged, so the loop stops reading at its window.
    await new Promise((r) => setImmediate(r));
    expect(acked()).toBe(0);
    let got = 0;
    s.client.on('data', (d: Buffer) => (got += d.length));
    await new Promise((r) => setImmediate(r));
    expect(got).toBe(120 * 1024);
    expect(acked()).toBe(120 * 1024);
  });

  test('small login traffic costs no acknowledgement commands', async () => {
    const { dp, calls } = fakeDataplane();
    const s = new NativeSession(dp, 1);
    s.client.on('data', () => {});
    for (let i = 0; i < 5; i++) {
      s.handle(data('client', 'a login packet'));
      await new Promise((r) => setImmediate(r));
    }
    expect(calls.filter((c) => c.name === 'ack')).toEqual([]);
  });
});
