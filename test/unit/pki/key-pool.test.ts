import { describe, expect, it } from 'vitest';
import { KeyPool, leafKeyKinds } from '../../../src/pki/key-pool.js';
import type { CryptoKeyPair } from '../../../src/pki/keys.js';

/** A generator that hands out numbered fake key pairs and records calls. */
function fakeGenerator(opts: { failFirst?: boolean } = {}) {
  let n = 0;
  const calls: string[] = [];
  return {
    calls,
    generate: async (keyType: string) => {
      calls.push(keyType);
      n++;
      if (opts.failFirst && n === 1) throw new Error('entropy ran out');
      return { id: n } as unknown as CryptoKeyPair;
    },
  };
}

describe('KeyPool', () => {
  it('hands out a prepared spare and prepares the next one, never the same key twice', async () => {
    const g = fakeGenerator();
    const pool = new KeyPool({ generate: g.generate });
    pool.prewarm([{ keyType: 'rsa4096', hash: 'SHA-384' }]);
    await pool.idle();
    expect(g.calls).toEqual(['rsa4096']);
    const a = await pool.take('rsa4096', 'SHA-384');
    const b = await pool.take('rsa4096', 'SHA-384');
    expect(a).not.toBe(b);
    await pool.idle();
    expect(pool.spareCount('rsa4096', 'SHA-384')).toBe(1);
  });

  it('generates on demand when the spare failed, and keeps kinds apart', async () => {
    const g = fakeGenerator({ failFirst: true });
    const pool = new KeyPool({ generate: g.generate });
    pool.prewarm([{ keyType: 'ecdsa-p384', hash: 'SHA-384' }]);
    await pool.idle();
    expect(pool.spareCount('ecdsa-p384', 'SHA-384')).toBe(0);
    await expect(pool.take('ecdsa-p384', 'SHA-384')).resolves.toBeDefined();
    expect(pool.spareCount('rsa2048', 'SHA-256')).toBe(0);
  });

  it('stops refilling once closed', async () => {
    const g = fakeGenerator();
    const pool = new KeyPool({ generate: g.generate });
    pool.close();
    await pool.take('rsa2048', 'SHA-256');
    await pool.idle();
    expect(g.calls).toEqual(['rsa2048']);
  });

  it('covers every leaf key kind the CA issues, cheapest first', () => {
    expect(leafKeyKinds().map((k) => `${k.keyType}/${k.hash}`)).toEqual(['ecdsa-p256/SHA-256', 'ecdsa-p384/SHA-384', 'rsa2048/SHA-256', 'rsa4096/SHA-384']);
  });
});
