import { execFileSync } from 'node:child_process';

/** The CLI tests run the real `bin/tlsql`, which runs the compiled output: build it once. */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
