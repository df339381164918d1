import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const depcruise = `${repo}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;
const config = `${repo}.dependency-cruiser.cjs`;

interface CheckRun {
  /** The checker's exit code: the number of violations, so scripts/test.sh stops on any. */
  code: number;
  /** `rule: from -> to`, one per violation, sorted. */
  violations: string[];
  output: string;
}

/** Runs the layer checker exactly as scripts/test.sh does, on a tree under test/fixtures/layers/. */
function check(fixture: string): Promise<CheckRun> {
  return new Promise((resolve, reject) => {
    const cwd = `${repo}test/fixtures/layers/${fixture}`;
    execFile(process.execPath, [depcruise, 'src', '--config', config], { cwd }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      if (code < 0) return reject(new Error(`depcruise did not run: ${err?.message}\n${stderr}`));
      // The default reporter prints `error <rule>: <from> → <to>`; for a cycle `<to>` opens the next line.
      const violations = [...stdout.matchAll(/^\s*error ([\w-]+): (\S+) →\s+(\S+)/gm)].map(([, rule, from, to]) => `${rule}: ${from} -> ${to}`).sort();
      resolve({ code, violations, output: stdout + stderr });
    });
  });
}

describe('the layer checker (.dependency-cruiser.cjs)', () => {
  it('fails on an upward import, a file cycle, a folder cycle and a folder outside every layer', async () => {
    const run = await check('violations');
    expect(run.violations, run.output).toEqual([
      'layer-0-imports-upward: src/lib/clock.ts -> src/api/server.ts',
      'no-circular-folders: src/client -> src/doctor',
      'no-circular-folders: src/doctor -> src/client',
      'no-circular: src/store/rows.ts -> src/store/tables.ts',
      'unlayered: src/extras/thing.ts -> src/lib/clock.ts',
    ]);
    expect(run.code, run.output).toBe(run.violations.length);
  });

  it('passes a tree whose every import points to its own layer or below', async () => {
    const run = await check('clean');
    expect(run.code, run.output).toBe(0);
    expect(run.violations).toEqual([]);
    expect(run.output).toMatch(/no dependency violations found \(7 modules, 8 dependencies cruised\)/);
  });
});
