import { describe, expect, it } from 'vitest';
import { parseTlsVersionParameter, tlsPolicyFor } from '../../../src/dataplane/tls-policy.js';

describe('TLS policy', () => {
  it('allows TLS 1.2 and 1.3 on MariaDB 10.11 by default, with forward-secret AEAD suites only', () => {
    const p = tlsPolicyFor('10.11.19');
    expect([p.minVersion, p.maxVersion, p.insecure]).toEqual(['TLSv1.2', 'TLSv1.3', false]);
    for (const weak of ['RC4', '3DES', 'CBC', '-SHA:', 'NULL', 'EXPORT', 'anon', 'SECLEVEL=0']) expect(p.ciphers).not.toContain(weak);
    expect(p.ciphers.split(':').filter((c) => !c.startsWith('TLS_')).every((c) => c.startsWith('ECDHE-') && /GCM|CHACHA20/.test(c))).toBe(true);
  });

  it('narrows to TLS 1.3 only when tls_version says so', () => {
    const p = tlsPolicyFor('10.11.19', 'TLSv1.3');
    expect([p.minVersion, p.maxVersion]).toEqual(['TLSv1.3', 'TLSv1.3']);
  });

  it('widens to legacy versions only explicitly, and flags that as insecure', () => {
    const p = tlsPolicyFor('10.11.19', 'TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3');
    expect([p.minVersion, p.insecure]).toEqual(['TLSv1', true]);
    expect(p.ciphers).toContain('@SECLEVEL=0');
  });

  it('rejects tokens MariaDB does not know, naming them', () => {
    expect(() => parseTlsVersionParameter('TLSv1')).toThrow(/TLSv1 for tls_version/);
    expect(() => parseTlsVersionParameter('')).toThrow(/at least one/);
  });
});
