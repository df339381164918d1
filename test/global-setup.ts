import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The CLI tests run the real `bin/tlsql`, which runs the compiled output: build it once.
 * Type errors are reported by the typecheck step of scripts/test.sh; tsc still emits JavaScript.
 */
export default function setup(): void {
  spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'ignore' });
  if (!existsSync(new URL('../dist/src/main.js', import.meta.url))) throw new Error('build failed: dist/src/main.js missing');
}
