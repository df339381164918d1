import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tlsql } from '../helpers/cli.js';

describe('tlsql server without its native data plane', () => {
  it('refuses to start, says how to build it, and leaves the data dir untouched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tlsql-native-load-'));
    try {
      const r = await tlsql(dir, ['server'], { env: { TLSQL_NATIVE_ADDON: join(dir, 'missing', 'tlsql_dataplane.node') } });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/native data plane not built .*run npm ci/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
