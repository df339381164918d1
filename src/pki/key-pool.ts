import { performance } from 'node:perf_hooks';
import { silentLogger, type Logger } from '../lib/logger.js';
import { CA_FAMILIES, type KeyType, type SignatureHash } from './families.js';
import { generateKeyPair, type CryptoKeyPair } from './keys.js';

/** Where leaf key pairs come from; the CA takes one per certificate it issues. */
export interface KeySource {
  /** A fresh key pair never handed out before. */
  take(keyType: KeyType, hash: SignatureHash): Promise<CryptoKeyPair>;
}

export interface KeyPoolOptions {
  /** Spare key pairs kept ready per (key type, hash) once that kind was asked for. Default 1. */
  sparesPerKind?: number;
  /** Default: WebCrypto generateKeyPair (runs on the libuv thread pool). */
  generate?: (keyType: KeyType, hash: SignatureHash) => Promise<CryptoKeyPair>;
  /** Default silentLogger. */
  logger?: Logger;
}

/**
 * Keeps freshly generated leaf key pairs ready, so that issuing a certificate does not wait for
 * key generation: an RSA-4096 key takes 0.6–3 s here, RSA-2048 0.1–0.3 s, while a CA rotation
 * should reach new connections within ~100 ms. Every key is handed out once and only lives in
 * memory until then; a taken spare is replaced in the background.
 */
export class KeyPool implements KeySource {
  private readonly spares = new Map<string, Promise<CryptoKeyPair>[]>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly size: number;
  private readonly generate: (keyType: KeyType, hash: SignatureHash) => Promise<CryptoKeyPair>;
  private readonly log: Logger;
  private closed = false;

  constructor(opts: KeyPoolOptions = {}) {
    this.size = opts.sparesPerKind ?? 1;
    this.generate = opts.generate ?? ((k, h) => generateKeyPair(k, h));
    this.log = (opts.logger ?? silentLogger).child({ component: 'key-pool' });
  }

  async take(keyType: KeyType, hash: SignatureHash): Promise<CryptoKeyPair> {
    const list = this.list(keyType, hash);
    const spare = list.shift();
    this.refill(keyType, hash);
    if (spare) {
      try {
        return await spare;
      } catch (e) {
        this.log.warn('spare key generation failed; generating on demand', { keyType, err: e as Error });
      }
    }
    return this.generate(keyType, hash);
  }

  /**
   * Generates spares for these kinds, one kind after the other so that start-up work keeps at
   * most one core busy (e.g. every CA family when the service starts).
   */
  prewarm(kinds: readonly { keyType: KeyType; hash: SignatureHash }[]): void {
    let chain: Promise<unknown> = Promise.resolve();
    for (const k of kinds) {
      chain = chain.then(() => {
        this.refill(k.keyType, k.hash);
        return Promise.allSettled(this.list(k.keyType, k.hash));
      });
    }
    this.inFlight.add(chain);
    void chain.finally(() => this.inFlight.delete(chain));
  }

  /** Number of spares ready or being generated for a kind. */
  spareCount(keyType: KeyType, hash: SignatureHash): number {
    return this.list(keyType, hash).length;
  }

  /** Resolves when no spare is being generated; for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops refilling and drops the spares. */
  close(): void {
    this.closed = true;
    this.spares.clear();
  }

  private list(keyType: KeyType, hash: SignatureHash): Promise<CryptoKeyPair>[] {
    const key = `${keyType}/${hash}`;
    let l = this.spares.get(key);
    if (!l) {
      l = [];
      this.spares.set(key, l);
    }
    return l;
  }

  private refill(keyType: KeyType, hash: SignatureHash): void {
    if (this.closed) return;
    const list = this.list(keyType, hash);
    while (list.length < this.size) {
      const started = performance.now();
      const p = this.generate(keyType, hash);
      const tracked = p.then(
        () => this.log.debug('spare key ready', { keyType, durationMs: Math.round(performance.now() - started) }),
        (e: unknown) => {
          // Drop the failed spare so the next take generates on demand instead of failing again.
          const i = list.indexOf(p);
          if (i >= 0) list.splice(i, 1);
          this.log.warn('spare key generation failed', { keyType, err: e as Error });
        },
      );
      this.inFlight.add(tracked);
      void tracked.finally(() => this.inFlight.delete(tracked));
      list.push(p);
    }
  }
}

/** Every kind of leaf key the CA issues: each family's server keys and both link key types. */
export function leafKeyKinds(): { keyType: KeyType; hash: SignatureHash }[] {
  const kinds = [...CA_FAMILIES.map((f) => ({ keyType: f.keyType, hash: f.hash })), { keyType: 'ecdsa-p256' as const, hash: 'SHA-256' as const }, { keyType: 'rsa2048' as const, hash: 'SHA-256' as const }];
  const seen = new Set<string>();
  // Cheapest first: EC keys are ready at once, RSA-4096 takes seconds.
  const cost: Record<KeyType, number> = { 'ecdsa-p256': 0, 'ecdsa-p384': 1, rsa2048: 2, rsa4096: 3 };
  return kinds
    .filter((k) => !seen.has(`${k.keyType}/${k.hash}`) && seen.add(`${k.keyType}/${k.hash}`))
    .sort((a, b) => cost[a.keyType] - cost[b.keyType]);
}
