import { spawn, type ChildProcess } from 'node:child_process';

/** Single-quotes `s` for sh. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Removes terminal control sequences (readline redraws) so output can be matched as text. */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/**
 * A program on a pseudo-terminal, driven like a person at a keyboard: `script` (util-linux)
 * gives it a pty, what we write to script's stdin arrives as typed input (Ctrl-C as \x03 reaches
 * the program's raw-mode reader), and everything the pty shows comes back on script's stdout.
 */
export class Pty {
  readonly child: ChildProcess;
  private out = '';
  readonly exited: Promise<number | null>;

  constructor(argv: string[], opts: { env?: NodeJS.ProcessEnv; cols?: number; cwd?: string } = {}) {
    const cmd = `stty cols ${opts.cols ?? 200} rows 50; exec ${argv.map(shq).join(' ')}`;
    this.child = spawn('script', ['-qfec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}) });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    this.child.stderr!.on('data', (d: Buffer) => (this.out += d.toString('utf8')));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }

  /** Everything shown so far, raw. */
  get raw(): string {
    return this.out;
  }

  /** Everything shown so far, without control sequences. */
  get text(): string {
    return stripAnsi(this.out);
  }

  /** Types `s` (use \r for Enter, \x03 for Ctrl-C). */
  type(s: string): void {
    this.child.stdin!.write(s);
  }

  /** Waits until the text shown (after `from` characters) matches `re`. */
  async waitFor(re: RegExp, opts: { timeoutMs?: number; from?: number } = {}): Promise<string> {
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    for (;;) {
      const t = this.text.slice(opts.from ?? 0);
      if (re.test(t)) return t;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re} in:\n${t}`);
      if (this.child.exitCode !== null) throw new Error(`program exited (${this.child.exitCode}) before ${re} appeared:\n${t}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Length of the text shown so far: pass as `from` to wait for output after this point. */
  mark(): number {
    return this.text.length;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
