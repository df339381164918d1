/**
 * CA rotation scheduling and certificate upkeep (docs/certificate-rotation.md): pending rotations
 * and the maintenance window, ApplyPendingMaintenanceAction, ModifyCertificates, refusals, failed
 * renewals that keep the old certificate serving, expiry notices. Time moves only through a
 * ManualClock; the scheduler is ticked directly. The clock starts 360 days in the past so that
 * every certificate issued during the test is also valid for the real clock the clients use.
 */
import {
  ApplyPendingMaintenanceActionCommand,
  CreateDBInstanceCommand,
  DescribeCertificatesCommand,
  DescribeDBInstancesCommand,
  DescribeEventsCommand,
  DescribePendingMaintenanceActionsCommand,
  ModifyCertificatesCommand,
  ModifyDBInstanceCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaintenanceOutcome } from '../../src/model/certificate-maintenance.js';
import { ManualClock } from '../../src/lib/clock.js';
import { mysql2Tls } from '../helpers/clients.js';
import { sClient } from '../helpers/rotation.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

const DAY = 24 * 60 * 60 * 1000;
const MIN = 60 * 1000;
const ID = 'upkeep';
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

let t: TestService;
let clock: ManualClock;
let db: Awaited<ReturnType<typeof createInstance>>;
let arn: string;
let t0: number;

beforeAll(async () => {
  t0 = Date.now() - 360 * DAY;
  clock = new ManualClock(t0);
  t = await startTestService({}, { clock, schedulerIntervalMs: 0 });
  db = await createInstance(t, ID);
  arn = db.instance.DBInstanceArn!;
  await t.service.scheduler.tick();
});

afterAll(async () => {
  await t?.close();
});

const instance = async (id = ID) => (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
const served = (o: { host: string; port: number } = db) => sClient({ endpoint: o.host, port: o.port, bundlePath: t.bundlePath });
const outcomeOf = (outs: MaintenanceOutcome[], id = ID) => outs.find((o) => o.instanceId === id)!;
async function eventsSince(ms: number): Promise<string[]> {
  const out = await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: ID, SourceType: 'db-instance', StartTime: new Date(ms), EndTime: clock.now() }));
  return (out.Events ?? []).map((e) => e.Message ?? '');
}
function windowAt(start: Date, minutes: number): string {
  const end = new Date(start.getTime() + minutes * MIN);
  const f = (d: Date) => `${DAYS[d.getUTCDay()]}:${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${f(start)}-${f(end)}`;
}
async function waitForStatus(status: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while ((await instance()).DBInstanceStatus !== status) {
    if (Date.now() > deadline) throw new Error(`${ID} did not become ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
async function rdsError(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('a CA change without ApplyImmediately', () => {
  let windowStart: Date;

  it('is pending until the maintenance window, shown as a ca-certificate-rotation pending maintenance action', async () => {
    windowStart = new Date(Math.floor((clock.now().getTime() + 2 * 60 * MIN) / MIN) * MIN);
    const window = windowAt(windowStart, 30);
    const out = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-ecc384-g1', PreferredMaintenanceWindow: window }));
    expect(out.DBInstance!.CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    expect(out.DBInstance!.PendingModifiedValues!.CACertificateIdentifier).toBe('tlsql-ca-ecc384-g1');
    expect(out.DBInstance!.PreferredMaintenanceWindow).toBe(window);

    const pending = await t.rds.send(new DescribePendingMaintenanceActionsCommand({}));
    expect(pending.PendingMaintenanceActions).toHaveLength(1);
    const r = pending.PendingMaintenanceActions![0]!;
    expect(r.ResourceIdentifier).toBe(arn);
    expect(r.PendingMaintenanceActionDetails).toHaveLength(1);
    const a = r.PendingMaintenanceActionDetails![0]!;
    expect(a.Action).toBe('ca-certificate-rotation');
    expect(a.OptInStatus).toBe('next-maintenance');
    expect(a.CurrentApplyDate?.getTime()).toBe(windowStart.getTime());
    expect(a.Description).toMatch(/tlsql-ca-rsa2048-g1 to tlsql-ca-ecc384-g1/);
    // Filters narrow the same way.
    const byId = await t.rds.send(new DescribePendingMaintenanceActionsCommand({ Filters: [{ Name: 'db-instance-id', Values: [ID] }] }));
    expect(byId.PendingMaintenanceActions).toHaveLength(1);
    const none = await t.rds.send(new DescribePendingMaintenanceActionsCommand({ Filters: [{ Name: 'db-instance-id', Values: ['other'] }] }));
    expect(none.PendingMaintenanceActions).toEqual([]);

    // Outside the window, a scheduler pass changes nothing.
    await t.service.scheduler.tick();
    expect((await instance()).CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    expect((await served()).keyType).toBe('rsa2048');
  });

  it('is not applied in the window after undo-opt-in, and is after next-maintenance', async () => {
    const undone = await t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'undo-opt-in' }));
    const a = undone.ResourcePendingMaintenanceActions!.PendingMaintenanceActionDetails![0]!;
    expect(a.OptInStatus).toBe('undo-opt-in');
    expect(a.CurrentApplyDate).toBeUndefined();

    clock.set(windowStart.getTime() + MIN);
    await t.service.scheduler.tick();
    expect((await instance()).CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');

    const again = await t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'next-maintenance' }));
    expect(again.ResourcePendingMaintenanceActions!.PendingMaintenanceActionDetails![0]!.CurrentApplyDate?.getTime()).toBe(windowStart.getTime());
    const [out] = await t.service.scheduler.tick();
    expect(out?.rotatedTo).toBe('tlsql-ca-ecc384-g1');

    const inst = await instance();
    expect(inst.CACertificateIdentifier).toBe('tlsql-ca-ecc384-g1');
    expect(inst.PendingModifiedValues?.CACertificateIdentifier).toBeUndefined();
    expect(inst.CertificateDetails?.CAIdentifier).toBe('tlsql-ca-ecc384-g1');
    expect((await t.rds.send(new DescribePendingMaintenanceActionsCommand({}))).PendingMaintenanceActions).toEqual([]);
    const s = await served();
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('ecdsa-p384');
    expect((await eventsSince(t0)).some((m) => m.startsWith(`CA certificate rotated from tlsql-ca-rsa2048-g1 to tlsql-ca-ecc384-g1 (maintenance window ${inst.PreferredMaintenanceWindow})`))).toBe(true);
  });

  it('is applied at once with ApplyPendingMaintenanceAction immediate', async () => {
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa4096-g1' }));
    const out = await t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'immediate' }));
    expect(out.ResourcePendingMaintenanceActions!.ResourceIdentifier).toBe(arn);
    expect(out.ResourcePendingMaintenanceActions!.PendingMaintenanceActionDetails).toEqual([]);
    expect((await instance()).CACertificateIdentifier).toBe('tlsql-ca-rsa4096-g1');
    expect((await served()).keyType).toBe('rsa4096');
  });

  it('is withdrawn by asking for the CA in use, and applied by a later ApplyImmediately', async () => {
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa2048-g1' }));
    expect((await instance()).PendingModifiedValues?.CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa4096-g1' }));
    expect((await instance()).PendingModifiedValues?.CACertificateIdentifier).toBeUndefined();
    expect((await t.rds.send(new DescribePendingMaintenanceActionsCommand({}))).PendingMaintenanceActions).toEqual([]);

    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa2048-g1' }));
    const out = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, ApplyImmediately: true }));
    expect(out.DBInstance!.CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    expect(out.DBInstance!.PendingModifiedValues?.CACertificateIdentifier).toBeUndefined();
    expect((await served()).keyType).toBe('rsa2048');
  });
});

describe('refusals', () => {
  it('refuses an unknown CA with CertificateNotFound', async () => {
    for (const ApplyImmediately of [true, false]) {
      const e = await rdsError(t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa1024-g1', ApplyImmediately })));
      expect(e.name).toBe('CertificateNotFoundFault');
      expect(e.status).toBe(404);
    }
    const c = await rdsError(t.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'nope', Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: 'Sup3r-secret!', DBInstanceClass: 'db.t3.micro', CACertificateIdentifier: 'rds-ca-2019' })));
    expect(c.name).toBe('CertificateNotFoundFault');
  });

  it('refuses ApplyPendingMaintenanceAction for an unknown resource, an unknown opt-in type, or nothing pending', async () => {
    const unknown = await rdsError(t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: 'arn:aws:rds:us-east-1:000000000000:db:ghost', ApplyAction: 'ca-certificate-rotation', OptInType: 'immediate' })));
    expect(unknown.name).toBe('ResourceNotFoundFault');
    expect(unknown.status).toBe(404);
    const badType = await rdsError(t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'tomorrow' })));
    expect(badType.name).toMatch(/InvalidParameterValue/);
    const nothing = await rdsError(t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'immediate' })));
    expect(nothing.name).toMatch(/InvalidParameterValue/);
    expect(nothing.message).toMatch(/no pending maintenance action/);
  });

  it('refuses a rotation while the instance is stopped with InvalidDBInstanceState', async () => {
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-ecc384-g1' }));
    await t.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: ID }));
    await waitForStatus('stopped');
    const modify = await rdsError(t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa4096-g1', ApplyImmediately: true })));
    expect(modify.name).toMatch(/InvalidDBInstanceState/);
    expect(modify.status).toBe(400);
    const apply = await rdsError(t.rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: arn, ApplyAction: 'ca-certificate-rotation', OptInType: 'immediate' })));
    expect(apply.name).toMatch(/InvalidDBInstanceState/);
    // A pass over a stopped instance does nothing.
    expect(outcomeOf(await t.service.scheduler.tick()).skipped).toBe('status stopped');

    await t.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: ID }));
    await waitForStatus('available');
    // Withdraw the pending change so later steps start from a known CA.
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: ID, CACertificateIdentifier: 'tlsql-ca-rsa2048-g1' }));
    expect((await instance()).PendingModifiedValues?.CACertificateIdentifier).toBeUndefined();
  });
});

describe('ModifyCertificates customer override', () => {
  it('makes new instances use the chosen CA, verified by clients with the same bundle', async () => {
    const mod = await t.rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: 'tlsql-ca-ecc384-g1' }));
    expect(mod.Certificate?.CustomerOverride).toBe(true);
    const certs = await t.rds.send(new DescribeCertificatesCommand({}));
    expect(certs.DefaultCertificateForNewLaunches).toBe('tlsql-ca-ecc384-g1');
    const second = await createInstance(t, 'second');
    expect(second.instance.CACertificateIdentifier).toBe('tlsql-ca-ecc384-g1');
    const s = await served(second);
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('ecdsa-p384');
    await t.rds.send(new ModifyCertificatesCommand({ RemoveCustomerOverride: true }));
    expect((await t.rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
    // Existing instances keep their CA.
    expect((await instance('second')).CACertificateIdentifier).toBe('tlsql-ca-ecc384-g1');
  });
});

describe('a failed renewal', () => {
  type Door = { setCertificate: (chain: string, key: string) => void };
  type Ca = { issueLinkCertificate: (p: { hostname: string; keyType: 'rsa2048' | 'ecdsa-p256' }) => Promise<unknown> };
  let restore: () => void;
  let servedBefore: Awaited<ReturnType<typeof served>>;
  let validTillBefore: number;

  beforeAll(async () => {
    const door = t.service.control.runtime.frontDoor(ID)! as unknown as Door;
    const ca = t.service.ca as unknown as Ca;
    const setCertificate = door.setCertificate;
    const issueLink = ca.issueLinkCertificate;
    // The endpoint silently keeps its certificate (the post-swap handshake must notice), and the
    // engine link gets a certificate for the wrong name (the preflight handshake must notice).
    door.setCertificate = () => undefined;
    ca.issueLinkCertificate = (p) => issueLink.call(t.service.ca, { ...p, hostname: 'wrong.engine.tlsql.internal' });
    restore = () => {
      door.setCertificate = setCertificate;
      ca.issueLinkCertificate = issueLink;
    };
    servedBefore = await served();
    validTillBefore = (await instance()).CertificateDetails!.ValidTill!.getTime();
  });

  afterAll(() => restore?.());

  it('keeps the previous certificates serving and raises events', async () => {
    const since = clock.now().getTime();
    clock.set(t0 + 200 * DAY);
    const out = outcomeOf(await t.service.scheduler.tick());
    expect(out.failures.some((f) => /^server: .*presents serial/.test(f))).toBe(true);
    expect(out.failures.some((f) => /^link: .*no subjectAltName matches db-[a-z0-9]+\.engine\.tlsql\.internal/.test(f))).toBe(true);
    expect(out.serverRenewed).toBeUndefined();

    const s = await served();
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.serialHex).toBe(servedBefore.serialHex);
    expect((await instance()).CertificateDetails!.ValidTill!.getTime()).toBe(validTillBefore);
    // Clients still get through the old link certificate too.
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c.query('SELECT 1');
    await c.end();

    const events = await eventsSince(since);
    expect(events.some((m) => new RegExp(`^Server certificate renewal \\(half-life reached .*\\) failed; the previous certificate \\(serial ${servedBefore.serialHex}, valid until .*\\) is still served`).test(m))).toBe(true);
    expect(events.some((m) => /^Engine link certificate renewal \(half-life reached .*\) failed; the engine keeps its previous certificate/.test(m))).toBe(true);
    const metrics = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/tlsql_certificate_replacements_total\{kind="server_renewal",result="failure"\} 1/);
  });

  it('announces expiry within 90 and 30 days once each while renewals keep failing', async () => {
    const since = clock.now().getTime();
    const notAfter = validTillBefore;
    clock.set(notAfter - 80 * DAY);
    outcomeOf(await t.service.scheduler.tick());
    clock.set(notAfter - 25 * DAY);
    const out = outcomeOf(await t.service.scheduler.tick());
    expect(out.notices.some((n) => /expires within 30 days/.test(n))).toBe(true);
    clock.advance(2 * 60 * MIN);
    expect(outcomeOf(await t.service.scheduler.tick()).notices).toEqual([]);

    const events = await eventsSince(since);
    expect(events.filter((m) => new RegExp(`^Server certificate \\(serial ${servedBefore.serialHex}\\) expires within 90 days`).test(m))).toHaveLength(1);
    expect(events.filter((m) => new RegExp(`^Server certificate \\(serial ${servedBefore.serialHex}\\) expires within 30 days`).test(m))).toHaveLength(1);
    expect(events.filter((m) => /^Engine link certificate \(serial [0-9a-f]+\) expires within 30 days/.test(m))).toHaveLength(1);
  });

  it('renews once the cause is gone, after the retry delay', async () => {
    restore();
    const out = outcomeOf(await t.service.scheduler.tick());
    // The last failure was just now: the retry waits.
    expect(out.serverRenewed).toBeUndefined();
    clock.advance(61 * MIN);
    const later = outcomeOf(await t.service.scheduler.tick());
    expect(later.failures).toEqual([]);
    expect(later.serverRenewed).toMatch(/^[0-9a-f]{32}$/);
    expect(later.linkRenewed).toMatch(/^[0-9a-f]{32}$/);
    const s = await served();
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.serialHex).toBe(later.serverRenewed);
    expect((await instance()).CertificateDetails!.ValidTill!.getTime()).toBeGreaterThan(validTillBefore);
  });
});

describe('client certificate requests', () => {
  it('stop once the last client certificate tlsql issued has expired (scheduler pass)', async () => {
    expect((await served()).output).toContain('No client certificate CA names sent');
    await t.service.control.connectionSecurity.issueClientCertificate({ subject: '/C=US/O=acme/CN=short', validityHours: 1 });
    expect((await served()).output).toMatch(/Acceptable client certificate CA names\n.*CN ?= ?tlsql us-east-1 Client CA G1/);
    await t.service.scheduler.tick(); // still valid: nothing changes
    expect((await served()).output).toContain('Acceptable client certificate CA names');
    clock.advance(61 * MIN);
    await t.service.scheduler.tick();
    expect((await served()).output).toContain('No client certificate CA names sent');
  });
});

describe('an endpoint name change', () => {
  it('renews the server certificate at once for the new name', async () => {
    // tlsql has no rename action yet; the stored endpoint is what a rename (or a new domain) changes.
    const inst = t.service.store.getInstance(ID)!;
    const renamed = inst.endpoint.address.replace(/^upkeep\./, 'upkeep-renamed.');
    t.service.store.updateInstance({ ...inst, endpoint: { ...inst.endpoint, address: renamed } });
    const out = outcomeOf(await t.service.scheduler.tick());
    expect(out.failures).toEqual([]);
    expect(out.serverRenewed).toMatch(/^[0-9a-f]{32}$/);
    const events = await eventsSince(clock.now().getTime() - MIN);
    expect(events.some((m) => m.startsWith(`Server certificate renewed (endpoint name changed to ${renamed})`))).toBe(true);
    const s = await served({ host: renamed, port: db.port });
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.serialHex).toBe(out.serverRenewed);
    // The old name no longer verifies.
    expect((await served()).verifyOk).toBe(false);
  });
});
