import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InstanceRuntime } from '../../../src/control/instance-runtime.js';
import { ParameterCatalogue } from '../../../src/control/parameter-catalogue.js';
import { ParameterGroups } from '../../../src/control/parameter-groups.js';
import { ResourceTags } from '../../../src/control/resource-tags.js';
import type { EngineVariableCatalogue, EngineVariableInfo } from '../../../src/engine/variable-catalogue.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { KeyedLock } from '../../../src/lib/keyed-lock.js';
import { silentLogger } from '../../../src/lib/logger.js';
import type { DbInstance } from '../../../src/model/db-instance.js';
import { Store } from '../../../src/store/store.js';
import { TagStore } from '../../../src/store/tag-store.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

function v(name: string, o: Partial<EngineVariableInfo> = {}): EngineVariableInfo {
  return { name, scope: 'GLOBAL', type: 'BIGINT UNSIGNED', defaultValue: '150', comment: `about ${name}`, min: '10', max: '100000', enumValues: null, readOnly: false, commandLine: 'REQUIRED', ...o };
}
const engineCatalogue: EngineVariableCatalogue = {
  mariadbdVersion: 'mariadbd  Ver 10.11.19-MariaDB',
  characterSets: ['utf8mb4'],
  collations: ['utf8mb4_general_ci'],
  variables: [v('max_connections'), v('back_log', { readOnly: true })],
};

function instance(id: string, group: string): DbInstance {
  return {
    id,
    resourceId: `db-${'A'.repeat(26)}`,
    arn: `arn:aws:rds:${REGION}:${ACCOUNT}:db:${id}`,
    region: REGION,
    engine: 'mariadb',
    engineVersion: '10.11.19',
    instanceClass: 'db.t3.micro',
    status: 'available',
    masterUsername: 'admin',
    dbName: null,
    endpoint: { address: `${id}.example.test`, port: 40001, hostedZoneId: 'Z2R2ITUGPM61AM' },
    allocatedStorageGiB: 20,
    createdAt: new Date('2026-06-01T00:00:00Z'),
    caCertificateIdentifier: 'tlsql-ca-rsa2048-g1',
    certificate: null,
    parameterGroup: { name: group, applyStatus: 'in-sync' },
    pendingModifiedValues: {},
    iamDatabaseAuthenticationEnabled: false,
    preferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    preferredBackupWindow: '03:00-03:30',
    backupRetentionPeriod: 1,
    tags: [],
    insecureTlsAllowed: false,
  };
}

/** applyEngineParameters that waits until released, as it does while the engine is starting. */
class SlowRuntime {
  readonly catalogue = new ParameterCatalogue(engineCatalogue);
  private release: () => void = () => {};
  private entered: () => void = () => {};
  readonly applying = new Promise<void>((r) => (this.entered = r));
  private readonly gate = new Promise<void>((r) => (this.release = r));
  async parameterCatalogue() {
    return this.catalogue;
  }
  calls = 0;
  async applyEngineParameters(_inst: DbInstance): Promise<void> {
    this.calls++;
    this.entered();
    await this.gate;
  }
  finish(): void {
    this.release();
  }
}

let store: Store;
let lock: KeyedLock;
let runtime: SlowRuntime;
let groups: ParameterGroups;
let tags: ResourceTags;

beforeEach(async () => {
  store = new Store(':memory:');
  lock = new KeyedLock();
  runtime = new SlowRuntime();
  const clock = new ManualClock('2026-06-01T00:00:00Z');
  groups = new ParameterGroups({ store, runtime: runtime as unknown as InstanceRuntime, clock, logger: silentLogger, region: REGION, accountId: ACCOUNT, lock });
  tags = new ResourceTags({ store, tags: new TagStore(store), region: REGION, accountId: ACCOUNT, lock, securityGroupExists: () => false, subnetGroupExists: () => false });
  await groups.create({ name: 'tuned', family: 'mariadb10.11', description: 'tuned' });
  store.insertInstance(instance('db1', 'tuned'));
});
afterEach(() => store.close());

describe('a parameter group change on its member instances', () => {
  it('keeps a tag change made while the engine was still applying the new values', async () => {
    // max_connections is live at once; back_log waits for the reboot: the member ends pending-reboot.
    const modify = groups.modify({
      name: 'tuned',
      parameters: [
        { name: 'max_connections', value: '300', applyMethod: 'immediate' },
        { name: 'back_log', value: '80', applyMethod: 'pending-reboot' },
      ],
    });
    await runtime.applying;
    const tagged = tags.add({ resourceName: `arn:aws:rds:${REGION}:${ACCOUNT}:db:db1`, tags: [{ key: 'team', value: 'payments' }] });
    runtime.finish();
    await Promise.all([modify, tagged]);

    const after = store.getInstance('db1')!;
    expect(after.tags).toEqual([{ key: 'team', value: 'payments' }]);
    expect(after.parameterGroup).toEqual({ name: 'tuned', applyStatus: 'pending-reboot' });
  });

  it('leaves alone an instance moved to another group while the change waited for its lock', async () => {
    await groups.create({ name: 'other', family: 'mariadb10.11', description: 'other' });
    let moved!: () => void;
    // Another per-instance operation (a ModifyDBInstance applied by a reboot) holds the lock.
    const holder = lock.run('db1', async () => {
      await new Promise<void>((r) => (moved = r));
      const inst = store.getInstance('db1')!;
      inst.parameterGroup = { name: 'other', applyStatus: 'in-sync' };
      inst.preferredMaintenanceWindow = 'mon:01:00-mon:01:30';
      store.updateInstance(inst);
    });
    const modify = groups.modify({
      name: 'tuned',
      parameters: [
        { name: 'max_connections', value: '300', applyMethod: 'immediate' },
        { name: 'back_log', value: '80', applyMethod: 'pending-reboot' },
      ],
    });
    await new Promise((r) => setImmediate(r));
    moved();
    await holder;
    runtime.finish();
    await modify;

    const after = store.getInstance('db1')!;
    expect(after.parameterGroup).toEqual({ name: 'other', applyStatus: 'in-sync' });
    expect(after.preferredMaintenanceWindow).toBe('mon:01:00-mon:01:30');
    // Not a member any more: its engine keeps the values of the group it now has.
    expect(runtime.calls).toBe(0);
  });
});
