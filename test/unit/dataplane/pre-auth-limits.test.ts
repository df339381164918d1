import { describe, expect, it } from 'vitest';
import { addressBucket, PreAuthLimiter, type PreAuthLimits } from '../../../src/dataplane/pre-auth-limits.js';

const limits: PreAuthLimits = { maxSessions: 6, maxSessionsPerAddress: 4, maxIdle: 3, maxIdlePerAddress: 2, idleGraceMs: 1000 };

/** A limiter on a clock the test moves, and the ids it evicted, in order. */
function setup(l: PreAuthLimits = limits) {
  let now = 0;
  const evicted: string[] = [];
  const limiter = new PreAuthLimiter(l, () => now);
  const admit = (id: string, address: string) => limiter.admit(id, address, () => evicted.push(id));
  const greet = (...ids: string[]) => ids.forEach((id) => limiter.greeted(id));
  return { limiter, evicted, admit, greet, advance: (ms: number) => (now += ms) };
}

describe('pre-auth limits', () => {
  it('evicts the oldest idle session of an address once its grace has passed, when that address opens one too many', () => {
    const { evicted, admit, greet, advance } = setup();
    expect(admit('a1', '10.0.0.1')).toBeNull();
    expect(admit('a2', '10.0.0.1')).toBeNull();
    greet('a1', 'a2');
    // Within the grace a burst is let in (a pool opening its connections): nothing evicted.
    expect(admit('a3', '10.0.0.1')).toBeNull();
    expect(evicted).toEqual([]);
    greet('a3');
    advance(1000);
    expect(admit('a4', '10.0.0.1')).toBeNull();
    expect(evicted).toEqual(['a1', 'a2']);
  });

  it('never evicts a session that sent its first packet or is still connecting to the engine', () => {
    const { limiter, evicted, admit, greet, advance } = setup();
    admit('p', '10.0.0.1');
    greet('p');
    limiter.progressed('p');
    admit('c', '10.0.0.1'); // not greeted: the engine is slow, not the client
    advance(5000);
    admit('n1', '10.0.0.1');
    admit('n2', '10.0.0.1');
    expect(evicted).toEqual([]);
    expect(limiter.size).toEqual({ all: 4, idle: 3 });
  });

  it('evicts across addresses when the endpoint holds too many stale idle sessions, oldest first', () => {
    const { limiter, evicted, admit, greet, advance } = setup();
    admit('a', '10.0.0.1');
    admit('b', '10.0.0.2');
    admit('c', '10.0.0.3');
    greet('a', 'b', 'c');
    advance(1000);
    admit('d', '10.0.0.4');
    expect(evicted).toEqual(['a']);
    expect(limiter.counters.evicted).toBe(1);
  });

  it('enforce() brings stale idle sessions back under the bounds when no one else connects', () => {
    const { limiter, evicted, admit, greet, advance } = setup();
    for (const id of ['a', 'b', 'c']) admit(id, '10.0.0.1');
    greet('a', 'b', 'c');
    expect(limiter.enforce()).toBe(0);
    advance(1000);
    expect(limiter.enforce()).toBe(1);
    expect(evicted).toEqual(['a']);
    expect(limiter.size.idle).toBe(2);
  });

  it('refuses a connection beyond the per-address bound and the endpoint bound, recording nothing for it', () => {
    const { limiter, admit } = setup();
    for (const id of ['a', 'b', 'c', 'd']) {
      expect(admit(id, '10.0.0.1')).toBeNull();
      limiter.progressed(id);
    }
    expect(admit('e', '10.0.0.1')).toBe('address');
    expect(admit('f', '10.0.0.2')).toBeNull();
    expect(admit('g', '10.0.0.3')).toBeNull();
    expect(admit('h', '10.0.0.4')).toBe('endpoint');
    expect(limiter.counters.refused).toBe(2);
    expect(limiter.size.all).toBe(6);
    limiter.leave('a');
    limiter.leave('a'); // idempotent
    expect(admit('i', '10.0.0.1')).toBeNull();
  });

  it('frees the slot of a session that logged in or ended', () => {
    const { limiter, admit, greet } = setup();
    admit('a', '10.0.0.1');
    greet('a');
    limiter.leave('a');
    expect(limiter.size).toEqual({ all: 0, idle: 0 });
  });

  it('counts the addresses of one IPv6 /64 as one address, for the bound at accept and for eviction', () => {
    const { limiter, evicted, admit, greet, advance } = setup();
    // Four addresses of one /64 fill its per-address bound: a fifth is refused, another /64 is not.
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
      expect(admit(id, `2001:db8:0:7::${i + 1}`)).toBeNull();
      limiter.progressed(id);
    }
    expect(admit('e', '2001:db8:0:7:ffff:ffff:ffff:ffff')).toBe('address');
    expect(admit('f', '2001:db8:0:8::1')).toBeNull();
    expect(admit('g', '2001:db8:0:8:1234::9')).toBeNull();
    greet('f', 'g');
    advance(1000);
    // Two idle sessions of 2001:db8:0:8::/64: a third evicts the oldest of them.
    expect(admit('h', '2001:db8:0:8:abcd::1')).toBeNull();
    expect(evicted).toEqual(['f']);
  });

  it('buckets IPv6 addresses by /64 and keeps IPv4 addresses as they are', () => {
    expect(addressBucket('10.1.2.3')).toBe('10.1.2.3');
    expect(addressBucket('2001:0db8:0000:0007:0000:0000:0000:0001')).toBe('2001:db8:0:7::/64');
    expect(addressBucket('2001:db8:0:7:ffff::1')).toBe('2001:db8:0:7::/64');
    expect(addressBucket('::1')).toBe('::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80::/64');
  });
});
