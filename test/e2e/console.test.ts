/**
 * Acceptance of the web console (issue #20, docs/console.md): Debian's chromium, driven headless by
 * playwright-core, against a real tlsql server with real mariadbd engines.
 *
 * - logging in with the one-time link `tlsql console` prints;
 * - a new instance appears with its endpoint and expiry;
 * - rotating its CA with the selector changes the chain view, and new verified connections present
 *   the new key type;
 * - closing a plaintext session;
 * - downloading the bundle and verifying the endpoint with it (chain and host name);
 * - no console errors and no failed requests, and a screenshot of each view in test-artifacts/console/;
 * - refused: a request without a session, a forged CSRF token, an expired one-time link.
 *
 * The server runs on a ManualClock (the link's expiry is moved past, not waited for).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { mysql2Tls, statusVar } from '../helpers/clients.js';
import { tlsql } from '../helpers/cli.js';
import { sClient } from '../helpers/rotation.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/console');
const ID = 'webdb';

let t: TestService;
let clock: ManualClock;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let db: Awaited<ReturnType<typeof createInstance>>;
let base: string;
/** Everything the browser reported that a healthy console never causes. */
const problems: string[] = [];

async function consoleLink(): Promise<string> {
  const r = await tlsql(t.dataDir, ['console', '--no-browser', '--endpoint-url', base]);
  expect(r.code, r.stderr).toBe(0);
  const url = r.stdout.trim();
  expect(url).toMatch(new RegExp(`^${base}/console/login\\?token=[A-Za-z0-9_-]{43}$`));
  return url;
}

/** Waits until `f` returns true in the test process (the page updates itself by polling). */
async function until(what: string, f: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await f().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function sessionCookie(): Promise<string> {
  const c = (await context.cookies(`${base}/console/`)).find((x) => x.name === 'tlsql_console');
  if (!c) throw new Error('no console session cookie');
  return c.value;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  clock = new ManualClock(Date.now());
  t = await startTestService({}, { clock, schedulerIntervalMs: 0 });
  base = t.service.apiUrl;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the web console in chromium', () => {
  it('logs in with the one-time link that `tlsql console` prints, into an HttpOnly SameSite=Strict session', async () => {
    const link = await consoleLink();
    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await page.getByRole('heading', { name: 'Instances' }).waitFor();
    const csp = res!.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const cookie = (await context.cookies(`${base}/console/`)).find((c) => c.name === 'tlsql_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console', secure: false });
    // The link was spent by the login.
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(403);
    expect(again.headers.get('set-cookie')).toBeNull();
  });

  it('shows a new instance appear with its endpoint and certificate expiry, without a reload', async () => {
    await page.goto(`${base}/console/#/instances`);
    await page.getByText('No DB instances yet').waitFor();
    db = await createInstance(t, ID);
    const row = page.locator(`tr[data-instance="${ID}"]`);
    await until('the instance row to be available', async () => (await row.locator('td').first().textContent()) === 'available');
    expect(await row.locator('td.endpoint').textContent()).toBe(db.host);
    const expiry = await row.locator('td.expiry').textContent();
    const days = Number(/(\d+) days left/.exec(expiry ?? '')?.[1]);
    const expected = Math.floor((db.instance.CertificateDetails!.ValidTill!.getTime() - Date.now()) / 86_400_000);
    expect(Math.abs(days - expected)).toBeLessThanOrEqual(1);
    expect(days).toBeGreaterThan(300);
    await screenshot('instances');
  });

  it('rotates the CA with the selector: the chain view changes and new verified connections present the new key type', async () => {
    await page.locator(`tr[data-instance="${ID}"] a`).click();
    await page.getByRole('heading', { name: `Instance ${ID}` }).waitFor();
    // Availability as DescribeDBInstances has it (docs/replication.md: tlsql's zones are engine slots).
    await page.locator('#multi-az', { hasText: 'Single-AZ (us-east-1a)' }).waitFor();
    const leafKeyType = () => page.locator('#chain .cert').first().getAttribute('data-key-type');
    await until('the chain view', async () => (await leafKeyType()) === 'rsa2048');
    expect(await page.locator('#chain .cert').first().textContent()).toContain(db.host);

    await page.getByLabel('CA for this instance').selectOption('tlsql-ca-ecc384-g1');
    await page.getByRole('button', { name: 'Rotate now' }).click();
    await until('the chain view to show the ECC key', async () => (await leafKeyType()) === 'ecdsa-p384', 60_000);
    expect(await page.locator('#ca-id').textContent()).toContain('tlsql-ca-ecc384-g1');
    expect(await page.locator('#chain .cert').nth(1).textContent()).toContain('ECC384');

    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.verifyLine, s.output).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('ecdsa-p384');
    const conn = await mysql2Tls({ ...db, ca: t.bundlePath });
    try {
      expect(await statusVar(conn, 'Ssl_version')).toMatch(/^TLSv1\.[23]$/);
    } finally {
      await conn.end();
    }
    // The same action on the command line.
    const cli = await tlsql(t.dataDir, ['describe-served-certificate-chain', '--db-instance-identifier', ID, '--endpoint-url', base]);
    expect(cli.code, cli.stderr).toBe(0);
    const served = JSON.parse(cli.stdout) as { Certificates: { KeyType: string; SubjectAlternativeNames: string[] }[] };
    expect(served.Certificates.map((c) => c.KeyType)).toEqual(['ecdsa-p384', 'ecdsa-p384']);
    expect(served.Certificates[0]!.SubjectAlternativeNames).toEqual([db.host]);
    await screenshot('instance');
  });

  it('schedules a rotation for the window with the selector, then applies the pending action now', async () => {
    await page.getByLabel('CA for this instance').selectOption('tlsql-ca-rsa4096-g1');
    await page.getByRole('button', { name: 'At the next window' }).first().click();
    const pending = page.locator('#pending tbody tr', { hasText: 'ca-certificate-rotation' });
    await pending.waitFor();
    expect(await page.locator('#ca-id').textContent()).toContain('pending: tlsql-ca-rsa4096-g1');
    await pending.getByRole('button', { name: 'Apply now' }).click();
    await until('the chain view to show the RSA 4096 key', async () => (await page.locator('#chain .cert').first().getAttribute('data-key-type')) === 'rsa4096', 60_000);
    await pending.waitFor({ state: 'detached' });
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.verifyLine, s.output).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('rsa4096');
  });

  it('closes a plaintext session from the sessions list', async () => {
    const plain = await mysql.createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
    const closed = new Promise<void>((r) => plain.on('error', () => r()).on('end', () => r()));
    try {
      expect(await statusVar(plain, 'Ssl_version')).toBe('');
      const row = page.locator('#sessions tr[data-transport="plaintext"]');
      await row.first().waitFor();
      expect(await row.count()).toBe(1);
      await row.getByRole('button', { name: /Close session/ }).click();
      await row.first().waitFor({ state: 'detached' });
      await plain.query('SELECT 1').then(
        () => {
          throw new Error('the closed session still answers');
        },
        () => {},
      );
      await closed;
    } finally {
      plain.destroy();
    }
  });

  it('downloads the bundle, which verifies the endpoint (chain and host name)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'console-download-'));
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#bundle-download').click()]);
    expect(download.suggestedFilename()).toBe('global-bundle.pem');
    const path = join(dir, 'global-bundle.pem');
    await download.saveAs(path);
    expect(readFileSync(path, 'utf8')).toBe(readFileSync(t.bundlePath, 'utf8'));
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: path });
    expect(s.verifyLine, s.output).toBe('Verify return code: 0 (ok)');
    const conn = await mysql2Tls({ ...db, ca: path });
    try {
      expect(await statusVar(conn, 'Ssl_cipher')).not.toBe('');
    } finally {
      await conn.end();
    }
    // A name that is not the endpoint's fails with the same bundle: the host name is checked.
    const wrong = await sClient({ endpoint: `not-${db.host}`, port: db.port, bundlePath: path });
    expect(wrong.verifyOk).toBe(false);
  });

  it('shows every other view, each kept as a screenshot', async () => {
    const views: [string, string, string][] = [
      ['certificates', 'Certificates', 'table#cas tbody tr'],
      ['traffic', 'Traffic', '.chart canvas'],
      ['parameter-groups', 'Parameter groups', 'table#parameter-groups tbody tr'],
      ['iam', 'IAM', 'table#users'],
    ];
    // A Traffic sample 10 s later (the injected clock), taken from the /metrics counters: the connections above show.
    clock.advance(10_000);
    const sample = t.service.console.history.sample();
    expect(sample.accepted).toBeGreaterThanOrEqual(4);
    // Keyboard: on a fresh load the first Tab lands on the skip link, which moves focus into the view.
    const fresh = await context.newPage();
    try {
      await fresh.goto(`${base}/console/#/instances`);
      await fresh.locator(`tr[data-instance="${ID}"]`).waitFor();
      await fresh.keyboard.press('Tab');
      expect(await fresh.evaluate('document.activeElement.textContent')).toBe('Skip to content');
      await fresh.keyboard.press('Enter');
      expect(await fresh.evaluate('document.activeElement.textContent')).toBe('Instances');
      await fresh.keyboard.press('Tab');
      expect(await fresh.evaluate('document.activeElement.textContent')).toBe(ID);
    } finally {
      await fresh.close();
    }
    // A role with a policy, so the IAM view has one to show.
    const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }] });
    t.service.control.iam.createRole('console-role', trust, { description: 'for the console test' });
    t.service.control.iam.putRolePolicy('console-role', 'connect-webdb', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'rds-db:connect', Resource: '*' }] }));
    for (const [hash, heading, ready] of views) {
      await page.goto(`${base}/console/#/${hash}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      await page.locator(ready).first().waitFor();
      await screenshot(hash);
    }
    // The IAM view lists roles with their policies.
    await page.locator('table#roles tbody tr', { hasText: 'console-role' }).filter({ hasText: 'connect-webdb' }).waitFor();
    const history = (await page.evaluate(async () => (await fetch('/console/metrics-history')).json())) as { samples: { at: number; accepted: number }[] };
    expect(history.samples.at(-1)).toMatchObject({ at: sample.at, accepted: sample.accepted });
  });

  it('refuses a request without a session, with a forged CSRF token, and an expired one-time link', async () => {
    const form = new URLSearchParams({ Action: 'CloseDBConnections', Version: '2014-10-31', DBInstanceIdentifier: ID, Transport: 'all' });
    const headers = { 'Content-Type': 'application/x-www-form-urlencoded' };

    const noSession = await fetch(`${base}/console/api`, { method: 'POST', headers, body: form });
    expect(noSession.status).toBe(403);
    expect(await noSession.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect((await fetch(`${base}/console/session`)).status).toBe(401);

    const cookie = `tlsql_console=${await sessionCookie()}`;
    const forged = await fetch(`${base}/console/api`, { method: 'POST', headers: { ...headers, cookie, 'X-CSRF-Token': 'forged' }, body: form });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>InvalidCsrfToken</Code>');
    const missing = await fetch(`${base}/console/api`, { method: 'POST', headers: { ...headers, cookie }, body: form });
    expect(missing.status).toBe(403);
    // The real token works (so the refusals above were about the token alone).
    const session = (await (await fetch(`${base}/console/session`, { headers: { cookie } })).json()) as { csrfToken: string };
    const ok = await fetch(`${base}/console/api`, {
      method: 'POST',
      headers: { ...headers, cookie, 'X-CSRF-Token': session.csrfToken },
      body: new URLSearchParams({ Action: 'DescribeDBInstances', Version: '2014-10-31' }),
    });
    expect(ok.status).toBe(200);
    // The session also downloads the Java truststore (PKCS#12); without one it is refused.
    const p12 = await fetch(`${base}/console/bundles/global-bundle.p12`, { headers: { cookie } });
    expect(p12.status).toBe(200);
    expect(p12.headers.get('content-type')).toBe('application/x-pkcs12');
    expect((await fetch(`${base}/console/bundles/global-bundle.p12`)).status).toBe(401);

    const link = await consoleLink();
    clock.advance(5 * 60_000 + 1);
    const expired = await fetch(link, { redirect: 'manual' });
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain('expired');
    expect(expired.headers.get('set-cookie')).toBeNull();
  });

  it('logs in with the API access key and secret in the login form', async () => {
    const { readCredentials } = await import('../../src/config/credentials.js');
    const { dataPaths } = await import('../../src/config/paths.js');
    const creds = await readCredentials(dataPaths(t.dataDir).credentials);
    const other = await browser.newContext();
    try {
      const p = await other.newPage();
      p.on('console', (m) => m.type() === 'error' && problems.push(`login page console error: ${m.text()}`));
      await p.goto(`${base}/console/`);
      await p.screenshot({ path: join(ARTIFACTS, 'login.png') });
      await p.getByLabel('Access key ID').fill(creds.accessKeyId);
      await p.getByLabel('Secret access key').fill(creds.secretAccessKey);
      await p.getByRole('button', { name: 'Log in' }).click();
      await p.getByRole('heading', { name: 'Instances' }).waitFor();
      await p.locator(`tr[data-instance="${ID}"]`).waitFor();
      // The secret appears nowhere in the page.
      expect(await p.content()).not.toContain(creds.secretAccessKey);
    } finally {
      await other.close();
    }
  });

  it('saw no console error, no failed request and no error response in the browser', () => {
    expect(problems).toEqual([]);
  });
});
