import type { CliClock, CliIo } from './registry.js';

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Progress of a long wait, on stderr only (stdout stays clean for the result). */
export interface Progress {
  /** Shows the latest status. */
  update(status: string): void;
  /** Clears the spinner and, when given, leaves `finalLine` on stderr. */
  stop(finalLine?: string): void;
}

const silent: Progress = { update: () => {}, stop: () => {} };

/**
 * A one-line spinner `⠋ <label>: <status> (12s)` redrawn every 100 ms, or a no-op when `enabled`
 * is false (stdout not a terminal, or --debug, whose log lines would break the line).
 */
export function createProgress(io: CliIo, clock: CliClock, label: string, enabled: boolean): Progress {
  if (!enabled) return silent;
  const started = clock.now();
  let status = 'waiting';
  let frame = 0;
  let stopped = false;
  const elapsed = () => `${Math.round((clock.now() - started) / 1000)}s`;
  const draw = () => {
    io.stderr.write(`\r\x1b[K${frames[frame % frames.length]} ${label}: ${status} (${elapsed()})`);
    frame++;
  };
  const timer = setInterval(draw, 100);
  timer.unref();
  draw();
  return {
    update(s: string) {
      status = s;
      if (!stopped) draw();
    },
    stop(finalLine?: string) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      io.stderr.write('\r\x1b[K');
      if (finalLine !== undefined) io.stderr.write(`${finalLine} (${elapsed()})\n`);
    },
  };
}
