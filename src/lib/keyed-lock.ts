/**
 * Serialises asynchronous work per key: `run(key, fn)` starts `fn` once every earlier `run` with
 * the same key has settled, whatever its outcome. Different keys never wait for each other.
 *
 * One queue per key, kept only while work for that key is queued, so a lock over many short-lived
 * keys (instance identifiers) holds nothing between operations. A call made while holding the key
 * (from inside `fn`) queues behind the current holder instead of re-entering it: awaiting that
 * call from inside `fn` would wait forever, so only start such follow-up work in the background.
 */
export class KeyedLock {
  /** The last queued operation per key, settled-only (never rejects), so the next one always runs. */
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` after every operation already queued for `key`; resolves or rejects with `fn`'s own
   * outcome (a failed operation never fails the ones queued after it).
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const result = prev.then(fn);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** True while an operation for `key` runs or waits. */
  held(key: string): boolean {
    return this.tails.has(key);
  }

  /** Settles once every operation queued so far (any key) has settled; for shutdown. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}
