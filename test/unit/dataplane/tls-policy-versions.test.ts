import { constants } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { policyAllowsProtocol, tlsPolicyFor } from '../../../src/dataplane/tls-policy.js';

describe('TLS policy: exact versions', () => {
  it('cuts a gap in tls_version out of the handshake with SSL_OP_NO_* flags', () => {
    const p = tlsPolicyFor('10.11.19', 'TLSv1.0,TLSv1.3');
    expect([p.minVersion, p.maxVersion]).toEqual(['TLSv1', 'TLSv1.3']);
    expect(p.secureOptions).toBe(constants.SSL_OP_NO_TLSv1_1 | constants.SSL_OP_NO_TLSv1_2);
    expect(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'].map((v) => policyAllowsProtocol(p, v))).toEqual([true, false, false, true]);
  });

  it('needs no flags for a contiguous range', () => {
    expect(tlsPolicyFor('10.11.19').secureOptions).toBe(0);
    expect(tlsPolicyFor('10.11.19', 'TLSv1.3').secureOptions).toBe(0);
    expect(policyAllowsProtocol(tlsPolicyFor('10.11.19'), 'TLSv1.1')).toBe(false);
    expect(policyAllowsProtocol(tlsPolicyFor('10.11.19'), null)).toBe(false);
  });
});
