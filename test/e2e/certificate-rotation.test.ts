/**
 * Acceptance (docs/certificate-rotation.md): CA rotation and certificate renewal are invisible to
 * running clients. A pool of verified-TLS mysql2 clients queries continuously while an instance
 * rotates rsa2048 -> ecc384 -> rsa4096 -> rsa2048 and while its certificates renew (ManualClock
 * moved past half-life, scheduler tick invoked directly): zero failed queries, zero dropped
 * connections; after each step a new connection (openssl s_client) verifies against the bundle and
 * sees the expected key.
 *
 * The clock starts 200 days in the past so that certificates issued after moving it ~190 days are
 * still valid for the real clock the clients use.
 */
import { DescribeDBInstancesCommand, DescribeEventsCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { getCaFamily } from '../../src/pki/families.js';
import { probeEndpoint } from '../../src/reconcile/tls-probe.js';
import { mysql2Tls, statusVar } from '../helpers/clients.js';
import { sClient, startLoad, type LoadReport } from '../helpers/rotation.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

const DAY = 24 * 60 * 60 * 1000;
const ID = 'rotating';

let t: TestService;
let clock: ManualClock;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  clock = new ManualClock(Date.now() - 200 * DAY);
  t = await startTestService({}, { clock, schedulerIntervalMs: 0 });
  db = await createInstance(t, ID);
  // The scheduler's first pass records the engine's link certificate.
  await t.service.scheduler.tick();
});

afterAll(async () => {
  await t?.close();
});

async function describeInstance() {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: ID }))).DBInstances![0]!;
}

/** Lets the load run on the current certificate for a while (real time: clients run on real timers). */
function settle(ms = 400): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('CA rotation and renewal under load', () => {
  let report: LoadReport;
  const steps: { ca: string; keyType: string; issuer: RegExp }[] = [
    { ca: 'tlsql-ca-ecc384-g1', keyType: 'ecdsa-p384', issuer: /Subordinate CA ECC384 G1/ },
    { ca: 'tlsql-ca-rsa4096-g1', keyType: 'rsa4096', issuer: /Subordinate CA RSA4096 G1/ },
    { ca: 'tlsql-ca-rsa2048-g1', keyType: 'rsa2048', issuer: /Subordinate CA RSA2048 G1/ },
  ];
  const seen: string[] = [];

  it('starts on rsa2048, verified by openssl s_client against the bundle', async () => {
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('rsa2048');
    seen.push(s.serialHex);
  });

  it('rotates rsa2048 -> ecc384 -> rsa4096 -> rsa2048 and renews while a client pool queries without a single failure', async () => {
    const load = await startLoad({ ...db, bundlePath: t.bundlePath });
    try {
      await settle();
      for (const step of steps) {
        const before = load.queries();
        const out = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: step.ca, ApplyImmediately: true }));
        expect(out.DBInstance!.CACertificateIdentifier).toBe(step.ca);
        expect(out.DBInstance!.PendingModifiedValues?.CACertificateIdentifier).toBeUndefined();
        const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
        expect(s.verifyLine, s.output).toBe('Verify return code: 0 (ok)');
        expect(s.keyType).toBe(step.keyType);
        expect(s.issuerCn).toMatch(step.issuer);
        expect(seen).not.toContain(s.serialHex);
        seen.push(s.serialHex);
        // The engine link's certificate follows the family's key type, so a TLS 1.2 client's
        // suite (ECDHE-ECDSA-* on an ECDSA endpoint) is mirrored on the link exactly.
        const c = await mysql2Tls({ ...db, ca: t.bundlePath, tls: { maxVersion: 'TLSv1.2' } });
        const clientCipher = (c as unknown as { connection: { stream: { getCipher(): { name: string } } } }).connection.stream.getCipher().name;
        expect(clientCipher).toMatch(step.keyType.startsWith('ecdsa') ? /^ECDHE-ECDSA-/ : /^ECDHE-RSA-/);
        expect(await statusVar(c, 'Ssl_cipher')).toBe(clientCipher);
        await c.end();
        await settle();
        expect(load.queries()).toBeGreaterThan(before);
      }

      // Renewal: past half-life of every certificate (all issued at the clock's start).
      clock.advance(190 * DAY);
      const [outcome] = await t.service.scheduler.tick();
      expect(outcome?.failures).toEqual([]);
      expect(outcome?.serverRenewed).toMatch(/^[0-9a-f]{32}$/);
      expect(outcome?.linkRenewed).toMatch(/^[0-9a-f]{32}$/);
      const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
      expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
      expect(s.keyType).toBe('rsa2048');
      expect(s.serialHex).toBe(outcome!.serverRenewed);
      seen.push(s.serialHex);
      await settle();

      // A second pass has nothing to do.
      const [again] = await t.service.scheduler.tick();
      expect(again?.serverRenewed).toBeUndefined();
      expect(again?.linkRenewed).toBeUndefined();
    } finally {
      report = await load.stop();
    }
    expect(report.failures).toEqual([]);
    expect(report.dropped).toBe(0);
    expect(report.poolConnectionsOpened).toBe(6);
    expect(report.threadIdsStable).toBe(true);
    expect(report.newConnections).toBeGreaterThan(5);
    expect(report.queries).toBeGreaterThan(100);
  });

  it('reports CertificateDetails.ValidTill equal to the expiry of the certificate the endpoint serves', async () => {
    const inst = await describeInstance();
    const served = await probeEndpoint({ address: '127.0.0.1', port: db.port, endpoint: db.host, bundlePem: t.service.ca.bundlePem() });
    expect(inst.CertificateDetails?.CAIdentifier).toBe('tlsql-ca-rsa2048-g1');
    expect(inst.CertificateDetails?.ValidTill?.getTime()).toBe(served.leaf.notAfter.getTime());
    expect(served.leaf.serialHex).toBe(seen[seen.length - 1]);
  });

  it('records issued, rotated and renewed events', async () => {
    const events = (await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: ID, SourceType: 'db-instance', StartTime: new Date(clock.now().getTime() - 400 * DAY), EndTime: clock.now() }))).Events ?? [];
    const messages = events.map((e) => e.Message ?? '');
    expect(messages.some((m) => /Server certificate issued by tlsql-ca-rsa2048-g1/.test(m))).toBe(true);
    expect(messages.filter((m) => /^CA certificate rotated from/.test(m))).toHaveLength(3);
    expect(messages.some((m) => m.startsWith('CA certificate rotated from tlsql-ca-rsa2048-g1 to tlsql-ca-ecc384-g1'))).toBe(true);
    expect(messages.some((m) => /^Server certificate renewed \(half-life reached/.test(m))).toBe(true);
    expect(messages.some((m) => /^Engine link certificate renewed \(key type follows CA tlsql-ca-ecc384-g1\).*ecdsa-p256/.test(m))).toBe(true);
    expect(messages.some((m) => /^Engine link certificate renewed \(half-life reached/.test(m))).toBe(true);
    expect(messages.filter((m) => /failed/.test(m))).toEqual([]);
  });

  it('exports expiry and renewal times in /metrics', async () => {
    const text = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    const inst = await describeInstance();
    const validTill = inst.CertificateDetails!.ValidTill!.getTime() / 1000;
    expect(text).toMatch(new RegExp(`tlsql_certificate_expiry_timestamp_seconds\\{kind="server",instance="${ID}",serial="${seen[seen.length - 1]}"\\} ${validTill}`));
    expect(text).toMatch(new RegExp(`tlsql_certificate_expiry_timestamp_seconds\\{kind="engine_link",instance="${ID}",serial="[0-9a-f]{32}"\\} \\d+`));
    expect(text).toMatch(new RegExp(`tlsql_certificate_renewal_due_timestamp_seconds\\{kind="server",instance="${ID}",serial="[0-9a-f]{32}"\\} \\d+`));
    expect(text).toMatch(/tlsql_certificate_replacements_total\{kind="ca_rotation",result="success"\} 3/);
    expect(text).toMatch(/tlsql_certificate_replacements_total\{kind="server_renewal",result="success"\} 1/);
  });
});

describe('certificates prepared ahead of CA rotations', () => {
  const modify = (ca: string) => t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: ca, ApplyImmediately: true }));

  it('serves the prepared certificate on an immediate rotation, then prepares the family it left', async () => {
    const lc = t.service.control.preparedCertificates;
    const from = getCaFamily(t.service.store.getInstance(ID)!.certificate!.caIdentifier)!.id;
    const to = 'tlsql-ca-ecc384-g1';
    expect(from).not.toBe(to);
    await lc.prepare(ID);
    expect(lc.has(ID, to, db.host)).toBe(true);
    expect(lc.has(ID, from, db.host)).toBe(false); // never for the family in use
    const used = lc.stats.used;

    await modify(to);
    expect(lc.stats.used).toBe(used + 1);
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.verifyLine, s.output).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('ecdsa-p384');
    expect(s.issuerCn).toMatch(/Subordinate CA ECC384 G1/);
    expect(t.service.store.activeServerCertificate(ID)!.serial).toBe(s.serialHex);

    // The rotation started preparing the family it left; joining that run waits for it.
    await lc.prepare(ID);
    expect(lc.has(ID, from, db.host)).toBe(true);
    expect(lc.has(ID, to, db.host)).toBe(false);
    const text = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    expect(text).toMatch(/tlsql_certificate_rotations_prepared_total\{result="used"\} [1-9]/);
    expect(text).toMatch(/tlsql_certificate_prepared [1-9]/);
  });

  it('does not serve a prepared certificate older than a day: the rotation issues a fresh one', async () => {
    const lc = t.service.control.preparedCertificates;
    const back = 'tlsql-ca-rsa2048-g1';
    expect(lc.has(ID, back, db.host)).toBe(true);
    clock.advance(DAY + 1);
    expect(lc.has(ID, back, db.host)).toBe(false);
    const missed = lc.stats.missed;
    await modify(back);
    expect(lc.stats.missed).toBe(missed + 1);
    const served = await probeEndpoint({ address: '127.0.0.1', port: db.port, endpoint: db.host, bundlePem: t.service.ca.bundlePem() });
    // Issued now (notBefore backdated 5 minutes from the current clock, whole seconds), not a day ago.
    expect(served.leaf.notBefore.getTime()).toBe(Math.floor((clock.now().getTime() - 5 * 60 * 1000) / 1000) * 1000);
    expect(served.leaf.subjectCommonName).toBe(db.host);
  });
});
