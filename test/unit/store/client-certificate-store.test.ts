import { describe, expect, it } from 'vitest';
import type { ClientCertificateRecord } from '../../../src/model/client-certificate.js';
import { ClientCertificateStore } from '../../../src/store/client-certificate-store.js';
import { ConnectionSecurityStore } from '../../../src/store/connection-security-store.js';
import { Store } from '../../../src/store/store.js';

const record = (serialHex: string, notAfter: string): ClientCertificateRecord => ({
  region: 'us-east-1',
  serialHex,
  subject: `/CN=${serialHex}`,
  issuer: '/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1',
  notBefore: new Date('2026-01-01T00:00:00Z'),
  notAfter: new Date(notAfter),
  keyType: 'ecdsa-p256',
  recordedAt: new Date('2026-01-01T00:00:00Z'),
  revocation: null,
});

describe('client certificate store', () => {
  it('keeps the first revocation of a certificate and lists revoked ones that have not expired', () => {
    const store = new Store(':memory:');
    const repo = new ClientCertificateStore(store);
    expect(repo.insert(record('a1', '2027-01-01T00:00:00Z'))).toBe(true);
    expect(repo.insert(record('a1', '2027-01-01T00:00:00Z'))).toBe(false);
    expect(repo.insert(record('b2', '2026-02-01T00:00:00Z'))).toBe(true);
    const first = { revokedAt: new Date('2026-01-10T00:00:00Z'), reason: 'keyCompromise' as const };
    expect(repo.revoke('us-east-1', 'a1', first)).toBe(true);
    expect(repo.revoke('us-east-1', 'a1', { revokedAt: new Date('2026-01-11T00:00:00Z'), reason: 'superseded' })).toBe(false);
    expect(repo.revoke('us-east-1', 'ff', first)).toBe(false);
    expect(repo.revoke('us-east-1', 'b2', first)).toBe(true);
    expect(repo.get('us-east-1', 'a1')!.revocation).toEqual(first);
    expect(repo.listRevoked('us-east-1', new Date('2026-03-01T00:00:00Z')).map((r) => r.serialHex)).toEqual(['a1']);
    expect(repo.list('eu-west-1')).toEqual([]);
    store.close();
  });

  it('keeps an imported CRL when its CA is removed, and drops it with the instance', () => {
    const store = new Store(':memory:');
    const repo = new ClientCertificateStore(store);
    const cas = new ConnectionSecurityStore(store);
    const crl = { resourceId: 'db-X', thumbprint: 'ab', crlDer: Buffer.from([1, 2, 3]), thisUpdate: new Date('2026-01-01T00:00:00Z'), nextUpdate: null, crlNumber: '1', importedAt: new Date('2026-01-01T00:00:00Z') };
    cas.insertClientCa({ resourceId: 'db-X', thumbprint: 'ab', subject: '/CN=op', certPem: 'pem', notAfter: new Date('2027-01-01T00:00:00Z'), shadowCertPem: 'pem', shadowKeySealed: Buffer.from([0]), createdAt: new Date() });
    repo.putCrl(crl);
    repo.putCrl({ ...crl, crlNumber: '2' });
    repo.putCrl({ ...crl, resourceId: 'db-Y' });
    expect(repo.getCrl('db-X', 'ab')!.crlNumber).toBe('2');
    cas.deleteClientCa('db-X', 'ab');
    expect(repo.getCrl('db-X', 'ab')!.crlNumber).toBe('2');
    repo.deleteCrls('db-X');
    expect(repo.getCrl('db-X', 'ab')).toBeNull();
    expect(repo.getCrl('db-Y', 'ab')).not.toBeNull();
    store.close();
  });
});
