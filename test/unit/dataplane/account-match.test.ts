import { describe, expect, it } from 'vitest';
import { AccountIndex, hostMagic, wildMatch } from '../../../src/dataplane/account-match.js';

const idx = (...accounts: [string, string][]) => new AccountIndex(accounts.map(([user, host]) => ({ user, host })));
const who = (i: AccountIndex<{ user: string; host: string }>, user: string, ip: string) => {
  const a = i.match(user, ip);
  return a ? `${a.user}@${a.host}` : null;
};

describe('MariaDB account matching', () => {
  it('orders hosts from most specific to most generic', () => {
    const order = ['10.0.0.1', 'localhost', '10.0.0._', '10.0.0.%', '10.%', '%'].map(hostMagic);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it('picks the most specific matching host of the user', () => {
    const i = idx(['jane', '%'], ['jane', '10.0.0.%'], ['jane', '10.0.0.7'], ['bob', '%']);
    expect(who(i, 'jane', '10.0.0.7')).toBe('jane@10.0.0.7');
    expect(who(i, 'jane', '10.0.0.8')).toBe('jane@10.0.0.%');
    expect(who(i, 'jane', '192.168.1.1')).toBe('jane@%');
    expect(who(i, 'nobody', '10.0.0.7')).toBeNull();
  });

  it('matches localhost accounts for every front-door session (MariaDB keeps that host name)', () => {
    expect(who(idx(['jane', '%'], ['jane', 'localhost']), 'jane', '203.0.113.9')).toBe('jane@localhost');
  });

  it('lets an anonymous account win only with a strictly more specific host', () => {
    expect(who(idx(['jane', '%'], ['', '%']), 'jane', '10.0.0.1')).toBe('jane@%');
    expect(who(idx(['jane', '%'], ['', '10.0.0.1']), 'jane', '10.0.0.1')).toBe('@10.0.0.1');
    expect(who(idx(['', '%']), 'jane', '10.0.0.1')).toBe('@%');
  });

  it('understands netmasks, escapes, case and ignores names that need DNS', () => {
    expect(who(idx(['jane', '10.0.0.0/255.255.255.0']), 'jane', '10.0.0.9')).toBe('jane@10.0.0.0/255.255.255.0');
    expect(who(idx(['jane', '10.0.0.0/255.255.255.0']), 'jane', '10.0.1.9')).toBeNull();
    expect(who(idx(['jane', 'db.example.com']), 'jane', '10.0.0.1')).toBeNull();
    expect(wildMatch('a_b', 'a\\_b', false)).toBe(true);
    expect(wildMatch('axb', 'a\\_b', false)).toBe(false);
    expect(wildMatch('LOCALHOST', 'localhost', true)).toBe(true);
    expect(who(idx(['jane', '::1']), 'jane', '::1')).toBe('jane@::1');
  });
});
