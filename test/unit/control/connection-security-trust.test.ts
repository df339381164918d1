import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { ClientRevocation } from '../../../src/control/client-revocation.js';
import { ConnectionSecurity } from '../../../src/control/connection-security.js';
import type { InstanceRuntime } from '../../../src/control/instance-runtime.js';
import type { ClientTrust } from '../../../src/dataplane/client-certs.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { DbInstance } from '../../../src/model/db-instance.js';
import type { CertificateAuthority } from '../../../src/pki/certificate-authority.js';
import { Store } from '../../../src/store/store.js';
import { opensslCa, type OpensslCa } from '../../helpers/pki-fixtures.js';

/**
 * ConnectionSecurity's trust lists against a recording stand-in for the instance runtime (the
 * endpoint itself is exercised end to end in test/e2e/client-certificate-revocation.test.ts):
 * what matters here is which list the endpoint holds last, whatever the order of concurrent calls.
 */

/** The endpoint side of InstanceRuntime that ConnectionSecurity uses: one serving instance. */
class RecordingRuntime {
  trust: ClientTrust | null = null;
  serving = true;
  constructor(private readonly id: string) {}
  servingIds(): string[] {
    return this.serving ? [this.id] : [];
  }
  isServing(id: string): boolean {
    return this.serving && id === this.id;
  }
  clientTrust(): ClientTrust | null {
    return this.trust;
  }
  setClientTrust(id: string, trust: ClientTrust | null): boolean {
    if (!this.isServing(id)) return false;
    this.trust = trust;
    return true;
  }
  async trustEngineCas(): Promise<boolean> {
    return true;
  }
  sessions(): [] {
    return [];
  }
  frontDoor(): undefined {
    return undefined;
  }
}

const INSTANCE = {
  id: 'db1',
  resourceId: 'db-AAAAAAAAAAAAAAAAAAAAAAAAAA',
  arn: 'arn:aws:rds:us-east-1:123456789012:db:db1',
  region: 'us-east-1',
  endpoint: { address: 'db1.local', port: 45001, hostedZoneId: 'Z' },
  createdAt: new Date(),
} as DbInstance;

let dir: string;
let store: Store;
let runtime: RecordingRuntime;
let cas: OpensslCa[];

function service(): ConnectionSecurity {
  const config = loadConfig({ dataDir: dir, env: {} });
  const internal = opensslCa('/CN=internal link CA');
  cas.push(internal);
  return new ConnectionSecurity({
    config,
    store,
    ca: { internalCaPem: () => internal.certPem } as unknown as CertificateAuthority,
    masterKey: Buffer.alloc(32, 7),
    // Certificates are judged against the real time (ClientTrust), so the clock starts at it.
    clock: new ManualClock(new Date()),
    logger: silentLogger,
    accountId: '123456789012',
    runtime: runtime as unknown as InstanceRuntime,
  });
}

/** The endpoint's verdict on a certificate (PEM) now. */
function verdict(pem: string): string {
  const trust = runtime.trust;
  if (!trust) return 'not asked';
  const c = trust.check({ peerCertificates: [new X509Certificate(pem).raw], verifyError: null });
  return c.kind === 'refused' && c.revocation ? 'revoked' : c.kind;
}

/** A promise that stays pending until `release`, and says when something reached it (`entered`). */
function gate(): { entered: Promise<void>; pass: () => Promise<void>; release: () => void } {
  let enter!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((r) => (enter = r));
  const open = new Promise<void>((r) => (release = r));
  return { entered, release, pass: () => (enter(), open) };
}

/**
 * Lets `p` get as far as it can on its own (it may be waiting for the gate's holder, so it is not
 * awaited): event-loop turns until it settles, at most 200.
 */
async function runAlone(p: Promise<unknown>): Promise<void> {
  let settled = false;
  void p.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < 200 && !settled; i++) await new Promise((r) => setImmediate(r));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-cs-trust-'));
  store = new Store(':memory:');
  store.insertInstance(INSTANCE);
  runtime = new RecordingRuntime(INSTANCE.id);
  cas = [];
});
afterEach(async () => {
  vi.restoreAllMocks();
  store.close();
  await rm(dir, { recursive: true, force: true });
  for (const c of cas) await rm(c.dir, { recursive: true, force: true });
});

describe('client-certificate trust lists under concurrent changes', () => {
  it('a revocation that completes while an operator-CA import is building its list stays enforced', async () => {
    const cs = service();
    const corpA = opensslCa('/CN=corp A');
    const corpB = opensslCa('/CN=corp B');
    cas.push(corpA, corpB);
    await cs.importClientCertificateAuthority({ dbInstanceIdentifier: 'db1', certificatePem: corpA.certPem });
    const app = await cs.issueClientCertificate({ subject: '/CN=app' });
    expect(verdict(app.certPem)).toBe('trusted');

    // The import of corp B builds its list: it reads tlsql's revocations, then waits on corp A's
    // CRL entries (slow, as after a restart when they are parsed again). The revocation runs then.
    const slow = gate();
    const real = ClientRevocation.prototype.revokedByOperatorCa;
    vi.spyOn(ClientRevocation.prototype, 'revokedByOperatorCa').mockImplementationOnce(async function (this: ClientRevocation, ca) {
      await slow.pass();
      return real.call(this, ca);
    });

    const importing = cs.importClientCertificateAuthority({ dbInstanceIdentifier: 'db1', certificatePem: corpB.certPem });
    await slow.entered;
    const revoking = cs.revokeClientCertificate({ serialNumber: app.serialHex, reason: 'keyCompromise' });
    await runAlone(revoking);
    expect((await cs.describeClientCertificates({ serialNumber: app.serialHex }))[0]!.revocation).not.toBeNull();
    slow.release();
    await importing;
    await revoking;

    expect(verdict(app.certPem)).toBe('revoked');
    // The imported CA is trusted too: the import's change is not lost either.
    const leaf = corpB.issue('/CN=b-client', 'b-client');
    expect(verdict(readFileSync(leaf.certPath, 'utf8'))).toBe('trusted');
  });

  it('a revocation made while the endpoint opens is in the list it opens with, or enforced on it right after', async () => {
    const cs = service();
    const app = await cs.issueClientCertificate({ subject: '/CN=app' });
    runtime.serving = false;
    runtime.trust = null;

    // The endpoint is opening (its listener binding) with the list built before the revocation;
    // until it serves, a revocation has no endpoint to install its list on.
    const listening = gate();
    const opening = cs.openWithClientTrust(INSTANCE, async (trust) => {
      await listening.pass();
      runtime.serving = true;
      runtime.trust = trust;
    });
    await listening.entered;
    const revoking = cs.revokeClientCertificate({ serialNumber: app.serialHex });
    await runAlone(revoking);
    listening.release();
    await opening;
    await revoking;

    expect(verdict(app.certPem)).toBe('revoked');
  });
});

describe('imported CRLs of operator client CAs', () => {
  it('stay enforced when the CA is removed and imported again, and the import says a CRL is loaded', async () => {
    const cs = service();
    const corp = opensslCa('/CN=corp');
    cas.push(corp);
    const first = await cs.importClientCertificateAuthority({ dbInstanceIdentifier: 'db1', certificatePem: corp.certPem });
    expect(first.crlThisUpdate).toBeNull();
    const stolen = corp.issue('/CN=stolen', 'stolen');
    const stolenPem = readFileSync(stolen.certPath, 'utf8');
    const other = readFileSync(corp.issue('/CN=other', 'other').certPath, 'utf8');
    corp.revoke(stolen.certPath, 'keyCompromise');
    await cs.importClientCrl({ dbInstanceIdentifier: 'db1', crl: readFileSync(corp.crl('corp')) });
    expect(verdict(stolenPem)).toBe('revoked');

    await cs.removeClientCertificateAuthority({ dbInstanceIdentifier: 'db1', thumbprint: first.thumbprint });
    const again = await cs.importClientCertificateAuthority({ dbInstanceIdentifier: 'db1', certificatePem: corp.certPem });

    expect(verdict(stolenPem)).toBe('revoked');
    expect(verdict(other)).toBe('trusted');
    expect(again.crlThisUpdate).toBeInstanceOf(Date);
    const described = await cs.describeClientCertificateAuthorities({ dbInstanceIdentifier: 'db1' });
    expect(described.find((c) => c.thumbprint === first.thumbprint)?.crlThisUpdate).toEqual(again.crlThisUpdate);

    // Deleting the instance forgets its CRLs with its CAs (its resource id is never reused).
    cs.forgetInstance(INSTANCE);
    expect((await cs.importClientCertificateAuthority({ dbInstanceIdentifier: 'db1', certificatePem: corp.certPem })).crlThisUpdate).toBeNull();
  });
});
