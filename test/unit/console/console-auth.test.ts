import { describe, expect, it } from 'vitest';
import { ConsoleAuth } from '../../../src/console/console-auth.js';
import { ManualClock } from '../../../src/lib/clock.js';

const MIN = 60_000;

function setup() {
  const clock = new ManualClock();
  return { clock, auth: new ConsoleAuth({ clock, loginLinkTtlMs: 5 * MIN, sessionIdleMs: 30 * MIN }) };
}

describe('console login links', () => {
  it('a link logs in once, as the principal that asked for it', () => {
    const { auth } = setup();
    const { token } = auth.createLoginLink('root');
    const first = auth.redeemLoginLink(token);
    expect('session' in first).toBe(true);
    if (!('session' in first)) return;
    const s = auth.authenticate(first.session, { stateChanging: false });
    expect(s).toMatchObject({ principal: 'root', csrfToken: first.csrfToken });
    expect(auth.redeemLoginLink(token)).toEqual({ refused: 'link-unknown' });
  });

  it('a link refused once expired by the injected clock is spent, not retryable', () => {
    const { clock, auth } = setup();
    const { token, expiresAt } = auth.createLoginLink('root');
    expect(expiresAt.getTime()).toBe(clock.now().getTime() + 5 * MIN);
    clock.advance(5 * MIN);
    expect(auth.redeemLoginLink(token)).toEqual({ refused: 'link-expired' });
    clock.set(expiresAt.getTime() - 1);
    expect(auth.redeemLoginLink(token)).toEqual({ refused: 'link-unknown' });
  });

  it('an unknown token is refused', () => {
    const { auth } = setup();
    expect(auth.redeemLoginLink('made-up')).toEqual({ refused: 'link-unknown' });
    expect(auth.redeemLoginLink('')).toEqual({ refused: 'link-unknown' });
  });
});

describe('console sessions', () => {
  it('end after the idle timeout without a request, and each request restarts it', () => {
    const { clock, auth } = setup();
    const { session } = auth.startSession('root');
    clock.advance(29 * MIN);
    expect('principal' in auth.authenticate(session, { stateChanging: false })).toBe(true);
    clock.advance(29 * MIN);
    expect('principal' in auth.authenticate(session, { stateChanging: false })).toBe(true);
    clock.advance(30 * MIN);
    expect(auth.authenticate(session, { stateChanging: false })).toEqual({ refused: 'session-expired' });
    expect(auth.authenticate(session, { stateChanging: false })).toEqual({ refused: 'no-session' });
  });

  it('refuse a state-changing request without the session\'s CSRF token, or with another session\'s', () => {
    const { auth } = setup();
    const a = auth.startSession('root');
    const b = auth.startSession('root');
    expect(auth.authenticate(a.session, { stateChanging: true })).toEqual({ refused: 'csrf-mismatch' });
    expect(auth.authenticate(a.session, { stateChanging: true, csrfToken: 'forged' })).toEqual({ refused: 'csrf-mismatch' });
    expect(auth.authenticate(a.session, { stateChanging: true, csrfToken: b.csrfToken })).toEqual({ refused: 'csrf-mismatch' });
    expect('principal' in auth.authenticate(a.session, { stateChanging: true, csrfToken: a.csrfToken })).toBe(true);
  });

  it('refuse a missing or unknown cookie, and a session that logged out', () => {
    const { auth } = setup();
    expect(auth.authenticate(undefined, { stateChanging: false })).toEqual({ refused: 'no-session' });
    expect(auth.authenticate('nope', { stateChanging: false })).toEqual({ refused: 'no-session' });
    const { session } = auth.startSession('root');
    auth.endSession(session);
    expect(auth.authenticate(session, { stateChanging: false })).toEqual({ refused: 'no-session' });
  });
});
