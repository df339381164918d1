/**
 * The console's HTTP side on the API listener (docs/console.md), without a browser: login links
 * minted over SigV4, the session cookie's attributes, the strict headers on every response, CSRF
 * and Origin checks, the idle timeout on the injected clock, and that a console request runs the
 * very action (and gets the very XML) a SigV4 request does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentialStore } from '../../../src/api/credentials.js';
import { createApiServer } from '../../../src/api/server.js';
import { consoleActions } from '../../../src/console/console-actions.js';
import { ConsoleAssets } from '../../../src/console/console-assets.js';
import { ConsoleAuth } from '../../../src/console/console-auth.js';
import { contentSecurityPolicy, createConsoleServer } from '../../../src/console/console-server.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';
import { FakeControlPlane } from '../../helpers/fake-control-plane.js';
import { parseError, region, signedPost, testKey } from './harness.js';

const MIN = 60_000;
let server: Server;
let url: string;
let clock: ManualClock;
let assetsDir: string;
const logs: string[] = [];

beforeAll(async () => {
  clock = new ManualClock(Date.now());
  assetsDir = mkdtempSync(join(tmpdir(), 'console-assets-'));
  writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><title>app</title>');
  writeFileSync(join(assetsDir, 'login.html'), '<!doctype html><title>login</title>');
  writeFileSync(join(assetsDir, 'app.js'), 'export {};');
  const control = new FakeControlPlane({ region, clock });
  const credentials = staticCredentialStore([{ ...testKey, principal: 'test-admin' }]);
  const logger = createLogger({ level: 'debug', write: (l) => logs.push(l) });
  const auth = new ConsoleAuth({ clock });
  const extraActions = consoleActions({ auth, publicUrl: () => url, bundlePem: () => '', probeAddress: '127.0.0.1' });
  server = createApiServer({
    control,
    credentials,
    region,
    logger,
    clock,
    extraActions,
    console: createConsoleServer({ control, auth, credentials, assets: new ConsoleAssets(assetsDir), logger, extraActions, info: { region } }),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(assetsDir, { recursive: true, force: true });
});

const form = (o: Record<string, string>) => new URLSearchParams({ Version: '2014-10-31', ...o }).toString();

/** A login link minted over SigV4, as `tlsql console` does (signed with the server's clock). */
async function loginLink(): Promise<string> {
  const r = await signedPost(url, form({ Action: 'CreateConsoleLoginLink' }), { date: clock.now() });
  const xml = await r.text();
  expect(r.status, xml).toBe(200);
  return /<LoginUrl>([^<]+)<\/LoginUrl>/.exec(xml)![1]!.replace(/&amp;/g, '&');
}

async function login(): Promise<{ cookie: string; csrf: string }> {
  const r = await fetch(await loginLink(), { redirect: 'manual' });
  expect(r.status).toBe(303);
  const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
  const s = (await (await fetch(`${url}/console/session`, { headers: { cookie } })).json()) as { csrfToken: string };
  return { cookie, csrf: s.csrfToken };
}

function consolePost(session: { cookie: string; csrf: string } | null, body: string, headers: Record<string, string> = {}) {
  return fetch(`${url}/console/api`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}), ...headers },
    body,
  });
}

describe('the console on the API listener', () => {
  it('redeems a SigV4-minted link once into an HttpOnly, SameSite=Strict cookie scoped to /console', async () => {
    const link = await loginLink();
    expect(link).toMatch(new RegExp(`^${url}/console/login\\?token=[A-Za-z0-9_-]{43}$`));
    const r = await fetch(link, { redirect: 'manual' });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/console/');
    const cookie = r.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^tlsql_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict$/);
    expect((await fetch(link, { redirect: 'manual' })).status).toBe(403);
    // Neither the token nor the session id is logged.
    const token = new URL(link).searchParams.get('token')!;
    expect(logs.join('\n')).not.toContain(token);
    expect(logs.join('\n')).not.toContain(cookie.split(';')[0]!.split('=')[1]!);
  });

  it('serves every /console response with the strict CSP, nosniff and no caching', async () => {
    const session = await login();
    const responses = await Promise.all([
      fetch(`${url}/console/`),
      fetch(`${url}/console/`, { headers: { cookie: session.cookie } }),
      fetch(`${url}/console/assets/app.js`),
      fetch(`${url}/console/assets/../secret`),
      fetch(`${url}/console/login?token=nope`),
      consolePost(null, form({ Action: 'DescribeDBInstances' })),
    ]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 404, 403, 403]);
    expect(await responses[0]!.text()).toContain('<title>login</title>');
    expect(await responses[1]!.text()).toContain('<title>app</title>');
    for (const r of responses) {
      expect(r.headers.get('content-security-policy')).toBe(contentSecurityPolicy);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-store');
    }
    expect(contentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('answers a console request with the same XML a SigV4 request gets for the same action', async () => {
    const session = await login();
    const body = form({ Action: 'DescribeCertificates' });
    const viaConsole = await consolePost(session, body);
    const viaSigV4 = await signedPost(url, body, { date: clock.now() });
    const strip = (x: string) => x.replace(/<RequestId>[^<]+<\/RequestId>/, '');
    expect(viaConsole.status).toBe(200);
    expect(strip(await viaConsole.text())).toBe(strip(await viaSigV4.text()));
    const bad = await consolePost(session, form({ Action: 'NoSuchAction' }));
    expect(bad.status).toBe(400);
    expect(parseError(await bad.text()).code).toBe('InvalidAction');
  });

  it('does not let a console session mint login links', async () => {
    const session = await login();
    const r = await consolePost(session, form({ Action: 'CreateConsoleLoginLink' }));
    expect(r.status).toBe(400);
    expect(parseError(await r.text()).code).toBe('InvalidAction');
  });

  it('refuses a forged CSRF token, a missing one, and a POST from another origin', async () => {
    const session = await login();
    const body = form({ Action: 'DescribeDBInstances' });
    const forged = await consolePost(session, body, { 'x-csrf-token': 'forged' });
    expect(forged.status).toBe(403);
    expect(parseError(await forged.text()).code).toBe('InvalidCsrfToken');
    const missing = await consolePost({ cookie: session.cookie, csrf: '' }, body);
    expect(parseError(await missing.text()).code).toBe('InvalidCsrfToken');
    const foreign = await consolePost(session, body, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await consolePost(session, body, { origin: url })).status).toBe(200);
  });

  it('refuses a request without a session before reading its body', async () => {
    const port = Number(new URL(url).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        // A body announced and never sent: the answer must not wait for it.
        s.write('POST /console/api HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n');
      });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => resolve(got));
      s.on('error', reject);
      setTimeout(() => resolve(got), 3000).unref();
    });
    expect(answer).toMatch(/^HTTP\/1\.1 403/);
    expect(answer).toContain('<Code>MissingAuthenticationToken</Code>');
  });

  it('ends a session after 30 minutes without a request, measured on the injected clock', async () => {
    const session = await login();
    const body = form({ Action: 'DescribeDBInstances' });
    clock.advance(29 * MIN);
    expect((await consolePost(session, body)).status).toBe(200);
    clock.advance(29 * MIN);
    expect((await consolePost(session, body)).status).toBe(200);
    clock.advance(30 * MIN);
    const r = await consolePost(session, body);
    expect(r.status).toBe(403);
    expect(parseError(await r.text()).code).toBe('MissingAuthenticationToken');
    expect((await fetch(`${url}/console/session`, { headers: { cookie: session.cookie } })).status).toBe(401);
  });

  it('logs in with the API access key and secret, and refuses a wrong secret', async () => {
    const post = (id: string, secret: string) =>
      fetch(`${url}/console/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ AccessKeyId: id, SecretAccessKey: secret }) });
    const ok = await post(testKey.accessKeyId, testKey.secretAccessKey);
    expect(ok.status).toBe(303);
    expect(ok.headers.get('set-cookie')).toMatch(/^tlsql_console=/);
    const wrong = await post(testKey.accessKeyId, testKey.secretAccessKey.slice(0, -1) + 'x');
    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect(await wrong.text()).not.toContain(testKey.secretAccessKey);
  });
});
