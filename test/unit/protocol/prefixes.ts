import { expect } from 'vitest';
import { PacketError } from '../../../src/protocol/wire.js';

/**
 * Feeds `parse` every strict prefix of `payload` (lengths 0 … n-1). Each must either throw a
 * PacketError (never a RangeError or anything else) or, when the cut falls where the format allows
 * the packet to end, parse into a value that `encode` turns back into exactly that prefix.
 * Returns how many prefixes parsed, so callers can pin the tolerant cut points.
 */
export function expectEveryPrefixRejectedOrExact<T>(
  payload: Buffer,
  parse: (b: Buffer) => T,
  encode?: (v: T) => Buffer,
): number[] {
  const parsedAt: number[] = [];
  for (let n = 0; n < payload.length; n++) {
    // An unpooled copy of exactly n bytes: reading past it cannot find the real bytes.
    const prefix = Buffer.alloc(n);
    payload.copy(prefix, 0, 0, n);
    let value: T;
    try {
      value = parse(prefix);
    } catch (e) {
      if (!(e instanceof PacketError)) {
        throw new Error(`prefix of ${n} bytes threw ${(e as Error)?.name}: ${(e as Error)?.message}`);
      }
      continue;
    }
    parsedAt.push(n);
    if (encode) expect(encode(value).toString('hex'), `prefix of ${n} bytes`).toBe(prefix.toString('hex'));
  }
  return parsedAt;
}
