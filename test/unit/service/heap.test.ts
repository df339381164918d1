import { describe, expect, it } from 'vitest';
import { tuneHeapForRelaying } from '../../../src/service/heap.js';

describe('tuneHeapForRelaying', () => {
  it('leaves the heap growing factor to an operator who set one on the command line or in NODE_OPTIONS', () => {
    expect(tuneHeapForRelaying(['--heap-growing-percent=50'], '')).toBe(false);
    expect(tuneHeapForRelaying([], '--max-old-space-size=512 --heap_growing_percent=30')).toBe(false);
  });

  it('sets its own factor when none was given', () => {
    expect(tuneHeapForRelaying(['--enable-source-maps'], '--max-old-space-size=512')).toBe(true);
  });
});
