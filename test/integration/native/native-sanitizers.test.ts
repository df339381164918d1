import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { testCa } from '../../helpers/native-fixtures.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('the relay scenario runs clean under AddressSanitizer and UndefinedBehaviorSanitizer', () => {
  // Builds build-asan/ when a native source changed (about 30 s), else returns at once.
  execFileSync('bash', [join(root, 'scripts/build-native-asan.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-native-asan-'));
  const front = testCa('/CN=asan front CA');
  const engine = testCa('/CN=asan engine CA');
  const clients = testCa('/CN=asan client CA');
  const material = {
    frontName: 'db.asan.test',
    engineName: 'engine.asan.test',
    front: front.server('db.asan.test'),
    frontCaPem: front.certPem,
    engine: engine.server('engine.asan.test'),
    engineCaPem: engine.certPem,
    client: clients.client('/CN=asan-user'),
    clientCaPem: clients.certPem,
  };
  writeFileSync(join(dir, 'material.json'), JSON.stringify(material));
  const libasan = execFileSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).trim();
  const r = spawnSync(process.execPath, [join(root, 'test/fixtures/native/relay-scenario.mjs'), join(dir, 'material.json'), dir], {
    encoding: 'utf8',
    timeout: 120_000,
    env: {
      ...process.env,
      LD_PRELOAD: libasan,
      TLSQL_NATIVE_ADDON: join(root, 'build-asan/tlsql_dataplane.node'),
      // Node's own allocations (V8, OpenSSL's global state) are not freed at exit: leak reports
      // would be about them, not this module. Every other finding fails the run.
      ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=0:exitcode=86',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
    },
  });
  const report = `${r.stdout}\n${r.stderr}`;
  expect(report).not.toMatch(/AddressSanitizer|runtime error:|UndefinedBehaviorSanitizer/);
  expect(r.status, report).toBe(0);
  expect(r.stdout).toContain('scenario ok');
}, 300_000);
