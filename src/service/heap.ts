import v8 from 'node:v8';

/** Old-generation limit after a full GC, as a percentage of the live heap on top of it. */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Lets the server's old generation grow to twice its live size between full garbage collections,
 * instead of V8's choice for a small, slowly allocating heap (1.1x: ~9 MB of headroom on a ~21 MB
 * server heap).
 *
 * Why: every chunk a TLS socket decrypts is a new ArrayBuffer, and V8 counts its memory against the
 * old-generation limit until a scavenge frees it. A relayed stream allocates those far faster than
 * it fills the 1 MiB new space, so with 1.1x a full mark-compact ran every ~9 MB relayed (eight per
 * 100 MB result, 15-20% of the front door's CPU). With 2x the buffers die in scavenges and no
 * mark-compact runs (docs/benchmarks.md). An explicit `--heap-growing-percent` in the process's
 * own flags or NODE_OPTIONS wins.
 */
export function tuneHeapForRelaying(execArgv = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if ([...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent/.test(a))) return false;
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
