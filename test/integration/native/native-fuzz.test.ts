import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

test('the libFuzzer harnesses find nothing in a bounded run (framer, TLS accept, TLS connect, relay)', () => {
  // Builds native/fuzz/out/ when a native source changed (about 40 s), then 5 s per target; a
  // longer run is documented in native/README.md "Fuzzing".
  const r = spawnSync('bash', [join(root, 'native/fuzz/run.sh'), '5'], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  const report = `${r.stdout}\n${r.stderr}`;
  expect(r.status, report).toBe(0);
  // Both targets ran and executed inputs.
  expect(report).toMatch(/fuzz-inspector stat::number_of_executed_units: [1-9]/);
  expect(report).toMatch(/fuzz-session stat::number_of_executed_units: [1-9]/);
}, 300_000);
