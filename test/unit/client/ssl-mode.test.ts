import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../../src/protocol/client-error.js';
import { defaultMysqlOptions } from '../../../src/client/options.js';
import { decideTls, mysql2SslOptions, resolveTlsSettings, tlsVersionRange } from '../../../src/client/ssl-mode.js';

const ssl = (over: Partial<ReturnType<typeof defaultMysqlOptions>['ssl']>) => ({ ...defaultMysqlOptions().ssl, ...over });

describe('--ssl-mode decisions follow MySQL 8', () => {
  it('DISABLED never uses TLS; PREFERRED uses it when offered and falls back only when not offered', () => {
    expect(decideTls('DISABLED', true)).toEqual({ useTls: false, reason: 'disabled' });
    expect(decideTls('PREFERRED', true)).toEqual({ useTls: true, verifyChain: false, verifyHostName: false });
    expect(decideTls('PREFERRED', false)).toEqual({ useTls: false, reason: 'not-offered' });
  });

  it('REQUIRED and the VERIFY modes fail with 2026 against a server without TLS', () => {
    for (const m of ['REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const) {
      expect(() => decideTls(m, false)).toThrow(ClientError);
      try {
        decideTls(m, false);
      } catch (e) {
        expect((e as ClientError).format()).toBe("ERROR 2026 (HY000): SSL connection error: SSL is required but the server doesn't support it");
      }
    }
  });

  it('REQUIRED encrypts without checks; VERIFY_CA checks the chain; VERIFY_IDENTITY also the host name', () => {
    expect(decideTls('REQUIRED', true)).toEqual({ useTls: true, verifyChain: false, verifyHostName: false });
    expect(decideTls('VERIFY_CA', true)).toEqual({ useTls: true, verifyChain: true, verifyHostName: false });
    expect(decideTls('VERIFY_IDENTITY', true)).toEqual({ useTls: true, verifyChain: true, verifyHostName: true });
  });

  it("maps to mysql2's options: rejectUnauthorized for the chain, verifyIdentity for the name", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tlsql-sslmode-'));
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const s = resolveTlsSettings(ssl({ mode: 'VERIFY_IDENTITY', ca }));
    expect(mysql2SslOptions(s, { useTls: true, verifyChain: true, verifyHostName: true })).toMatchObject({ rejectUnauthorized: true, verifyIdentity: true, ca: s.caPem });
    const req = resolveTlsSettings(ssl({ mode: 'REQUIRED', ca }));
    expect(req.caPem).toBeUndefined();
    expect(mysql2SslOptions(req, { useTls: true, verifyChain: false, verifyHostName: false })).toEqual({ rejectUnauthorized: false, verifyIdentity: false });
  });

  it('refuses VERIFY modes without a CA and unreadable CA files', () => {
    expect(() => resolveTlsSettings(ssl({ mode: 'VERIFY_CA' }))).toThrow('CA certificate is required if ssl-mode is VERIFY_CA or VERIFY_IDENTITY');
    expect(() => resolveTlsSettings(ssl({ mode: 'VERIFY_IDENTITY', ca: '/nonexistent/ca.pem' }))).toThrow(/Unable to get CA certificate '\/nonexistent\/ca\.pem': ENOENT/);
  });

  it('--tls-version lists become a Node version range', () => {
    expect(tlsVersionRange(['TLSv1.3', 'TLSv1.2'])).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
    expect(tlsVersionRange(['TLSv1.2'])).toEqual({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    expect(() => tlsVersionRange(['SSLv3'])).toThrow(/unknown TLS version 'SSLv3'/);
  });
});
