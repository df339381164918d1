import { describe, expect, it } from 'vitest';
import { KeyedLock } from '../../../src/lib/keyed-lock.js';

/** A promise settled from outside, to hold an operation open while the test looks around. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

describe('KeyedLock', () => {
  it('runs operations on one key one after another, in call order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const first = gate();
    const a = lock.run('db1', async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
    });
    const b = lock.run('db1', async () => {
      log.push('b');
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.open();
    await Promise.all([a, b]);
    expect(log).toEqual(['a start', 'a end', 'b']);
  });

  it('lets operations on different keys overlap', async () => {
    const lock = new KeyedLock();
    const held = gate();
    const log: string[] = [];
    const a = lock.run('db1', async () => {
      await held.promise;
      log.push('db1');
    });
    await lock.run('db2', async () => {
      log.push('db2');
    });
    expect(log).toEqual(['db2']);
    held.open();
    await a;
    expect(log).toEqual(['db2', 'db1']);
  });

  it('gives each caller its own outcome and keeps the queue going after a failure', async () => {
    const lock = new KeyedLock();
    const failing = lock.run('db1', async () => {
      throw new Error('boom');
    });
    const next = lock.run('db1', async () => 42);
    await expect(failing).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('turns a synchronous throw into a rejection of that call only', async () => {
    const lock = new KeyedLock();
    const bad = lock.run('db1', (() => {
      throw new Error('sync');
    }) as () => Promise<void>);
    await expect(bad).rejects.toThrow('sync');
    await expect(lock.run('db1', async () => 'ok')).resolves.toBe('ok');
  });

  it('reports a key as held while work is queued, and forgets it once all of it settled', async () => {
    const lock = new KeyedLock();
    const held = gate();
    const a = lock.run('db1', () => held.promise);
    expect(lock.held('db1')).toBe(true);
    expect(lock.held('db2')).toBe(false);
    held.open();
    await a;
    await lock.idle();
    expect(lock.held('db1')).toBe(false);
  });

  it('queues work started from inside a holder behind it, instead of re-entering', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    let inner: Promise<void> | undefined;
    await lock.run('db1', async () => {
      inner = lock.run('db1', async () => {
        log.push('inner');
      });
      await Promise.resolve();
      log.push('outer done');
    });
    await inner;
    expect(log).toEqual(['outer done', 'inner']);
  });

  it('idle waits for every key, including work queued while it waits', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    void lock.run('a', async () => {
      log.push('a');
      void lock.run('b', async () => {
        log.push('b');
      });
    });
    await lock.idle();
    expect(log).toEqual(['a', 'b']);
  });
});
