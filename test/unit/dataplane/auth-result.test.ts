import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { observeAuthResult } from '../../../src/dataplane/auth-result.js';

function packet(seq: number, payload: number[]): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeUIntLE(payload.length, 0, 3);
  b[3] = seq;
  Buffer.from(payload).copy(b, 4);
  return b;
}

async function observe(chunks: Buffer[], close = false): Promise<string | undefined> {
  const s = new PassThrough();
  let result: string | undefined;
  observeAuthResult(s, (r) => (result = r));
  for (const c of chunks) s.write(c);
  if (close) s.destroy();
  await new Promise((r) => setImmediate(r));
  return result;
}

describe('observeAuthResult', () => {
  it('sees an OK after an auth switch, even split across chunks', async () => {
    const bytes = Buffer.concat([packet(2, [0xfe, 0x6d, 0x79, 0x00]), packet(4, [0x00, 0x00, 0x00, 0x02, 0x00])]);
    expect(await observe([bytes.subarray(0, 3), bytes.subarray(3, 9), bytes.subarray(9)])).toBe('ok');
  });

  it('sees an ERR as a refusal', async () => {
    expect(await observe([packet(2, [0xff, 0x15, 0x04, 0x23])])).toBe('refused');
  });

  it('reports unknown when the engine closes first', async () => {
    expect(await observe([packet(2, [0x01, 0x03])], true)).toBe('unknown');
  });
});
