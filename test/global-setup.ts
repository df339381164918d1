import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The CLI tests run the real `bin/tlsql`, which runs the compiled output: build it once, with the
 * web console's bundle.
 * Type errors are reported by the typecheck step of scripts/test.sh; tsc still emits JavaScript.
 *
 * Every temporary directory the tests (and the processes they start) make goes under one
 * directory for this run, removed at the end: a run leaves nothing behind in /tmp.
 */
export default function setup(): () => void {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('build failed: dist/src/main.js missing');
  // The web console's bundle (dist/console/), which the server serves and test/e2e/console.test.ts drives.
  const web = spawnSync(process.execPath, ['scripts/build-console.mjs'], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
  if (web.status !== 0) throw new Error(`building the console failed: ${web.stderr}`);
  const runDir = mkdtempSync(join(tmpdir(), 'tlsql-tests-'));
  // mariadbd runs as the mysql user when the tests run as root: it must be able to walk through.
  chmodSync(runDir, 0o711);
  const previous = process.env.TMPDIR;
  // Test workers are started after this and inherit it; os.tmpdir() reads it.
  process.env.TMPDIR = runDir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(runDir, { recursive: true, force: true });
  };
}
