/**
 * Runs the benchmarks one after another (never two at once: they share the machine's two cores),
 * each in its own process, and prints their Markdown results.
 *
 *   npm run build && npm run bench                      # all of them
 *   npm run build && npm run bench -- foundation iam-logins
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { root } from './lib.js';

const ALL = ['foundation', 'connection-security', 'iam-logins', 'api', 'parameters', 'rotation', 'sysbench', 'replication'] as const;

const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !(ALL as readonly string[]).includes(n));
if (unknown.length) {
  process.stderr.write(`unknown benchmark ${unknown.join(', ')}; choose from: ${ALL.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of asked.length ? asked : ALL) {
  process.stderr.write(`== ${name}\n`);
  const r = spawnSync(process.execPath, [join(root, 'dist/bench', `${name}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`${name} failed (exit ${r.status ?? r.signal})\n`);
  }
}
process.exit(failed ? 1 : 0);
