import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientRevocation } from '../../../src/control/client-revocation.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { ClientCertificateAuthority, parseOnelineSubject } from '../../../src/pki/client-ca.js';
import * as x509 from '../../../src/pki/x509.js';
import { Store } from '../../../src/store/store.js';

const HOUR = 3600_000;
let dir: string;
let clock: ManualClock;
let store: Store;
let ca: ClientCertificateAuthority;
let revocation: ClientRevocation;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-revocation-'));
  clock = new ManualClock('2026-06-01T00:00:00Z');
  store = new Store(':memory:');
  ca = new ClientCertificateAuthority({ dir, masterKey: Buffer.alloc(32, 3), regions: ['us-east-1'], clock });
  revocation = new ClientRevocation({ store, clientCa: ca, regions: ['us-east-1'], clock, logger: silentLogger });
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function issue(cn: string) {
  const c = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject(`/CN=${cn}`), keyType: 'ecdsa-p256' });
  revocation.recordIssued('us-east-1', c);
  return c;
}

async function published(): Promise<x509.X509Crl> {
  const got = await revocation.published('us-east-1-client-ca-g1.crl');
  return new x509.X509Crl(new Uint8Array(got!.body as Buffer));
}

const crlNumber = (crl: x509.X509Crl) => crl.extensions.find((e) => e.type === '2.5.29.20')!.value;

describe('the CRL of a client CA', () => {
  it('is signed again when a revocation changes it and once it is 12 hours old, so it is always valid for 12 more hours', async () => {
    const a = await issue('a');
    const first = await published();
    expect(first.entries).toHaveLength(0);
    expect(first.nextUpdate!.getTime() - first.thisUpdate.getTime()).toBe(24 * HOUR);

    clock.advance(11 * HOUR);
    expect((await published()).thisUpdate).toEqual(first.thisUpdate); // same CRL, still valid 13 h

    await revocation.revoke({ region: 'us-east-1', serialNumber: a.serialHex, reason: 'keyCompromise' });
    const second = await published();
    expect(second.thisUpdate).toEqual(clock.now());
    expect(second.entries.map((e) => [e.serialNumber.toLowerCase().replace(/^0+/, ''), e.reason])).toEqual([[a.serialHex, x509.X509CrlReason.keyCompromise]]);
    expect(Buffer.from(crlNumber(second)).equals(Buffer.from(crlNumber(first)))).toBe(false);

    clock.advance(12 * HOUR);
    const third = await published();
    expect(third.thisUpdate).toEqual(clock.now());
    expect(third.entries).toHaveLength(1);
    await expect(third.verify({ publicKey: ca.ca('us-east-1').cert })).resolves.toBe(true);
  });

  it('drops revoked certificates once they have expired', async () => {
    const short = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=short'), validityHours: 1, keyType: 'ecdsa-p256' });
    revocation.recordIssued('us-east-1', short);
    await revocation.revoke({ region: 'us-east-1', serialNumber: short.serialHex });
    const serials = async () => (await published()).entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, ''));
    expect(await serials()).toContain(short.serialHex);
    clock.advance(2 * HOUR);
    await revocation.revoke({ region: 'us-east-1', serialNumber: (await issue('b')).serialHex }); // any change re-signs it
    expect(await serials()).not.toContain(short.serialHex);
    // Still revoked in the record and for the front door.
    expect(revocation.revokedIn('us-east-1').has(short.serialHex)).toBe(true);
  });

  it('is served only under its own names', async () => {
    expect(await revocation.published('us-east-1-client-ca-g1.pem')).toMatchObject({ contentType: 'application/x-pem-file', body: expect.stringMatching(/^-----BEGIN X509 CRL-----\n/) });
    expect(await revocation.published('eu-west-1-client-ca-g1.crl')).toBeNull();
    expect(await revocation.published('us-east-1-client-ca-g1')).toBeNull();
  });
});
