import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineFixture, type EngineFixture } from '../../helpers/engine-fixture.js';

describe('the engine variable catalogue', () => {
  let fx: EngineFixture;
  beforeAll(async () => {
    fx = await createEngineFixture();
  }, 120_000);
  afterAll(() => fx.cleanup());

  it('is read from the installed mariadbd when the template is built, cached beside it, and read again from a copy when the cache is gone', async () => {
    const cat = await fx.engine.variableCatalogue();
    const byName = new Map(cat.variables.map((v) => [v.name, v]));
    expect(cat.variables.length).toBeGreaterThan(400);
    expect(byName.get('max_allowed_packet')).toMatchObject({ type: 'BIGINT UNSIGNED', readOnly: false, min: '1024', commandLine: 'REQUIRED' });
    expect(byName.get('sql_mode')).toMatchObject({ type: 'SET', readOnly: false });
    expect(byName.get('sql_mode')?.enumValues).toContain('STRICT_TRANS_TABLES');
    expect(byName.get('datadir')).toMatchObject({ readOnly: true });
    expect(cat.collations).toContain('utf8mb4_general_ci');
    const path = join(fx.dataDir, 'templates', `mariadb-${fx.engine.version}.variables.json`);
    expect(JSON.parse(await readFile(path, 'utf8')).mariadbdVersion).toBe(cat.mariadbdVersion);

    // A template from before the catalogue existed: a new engine object reads it once more.
    await rm(path);
    const started = Date.now();
    const again = await fx.newEngine().variableCatalogue();
    expect(again.variables.map((v) => v.name)).toEqual(cat.variables.map((v) => v.name));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(JSON.parse(await readFile(path, 'utf8')).variables).toHaveLength(cat.variables.length);
  }, 120_000);

  it('sets dynamic variables on the running engine at once and static ones only from the next start', async () => {
    const id = 'catvars';
    await fx.engine.provision(fx.spec(id));
    await fx.engine.setServerVariables(id, { max_allowed_packet: '33554432', back_log: '77' });
    const read = () => fx.engine.admin(id, async (c) => (await c.query<RowDataPacket[]>('SELECT @@global.max_allowed_packet AS p, @@back_log AS b'))[0][0]!);
    const before = await read();
    expect(before.p).toBe(33554432);
    expect(before.b).not.toBe(77);
    await fx.engine.stop(id);
    await fx.engine.start(id);
    expect(await read()).toMatchObject({ p: 33554432, b: 77 });
    await expect(fx.engine.setServerVariables(id, { no_such_variable: '1' })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await fx.engine.stop(id);
  }, 120_000);
});
