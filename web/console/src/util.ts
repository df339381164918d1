import { useEffect, useRef, useState } from 'preact/hooks';

const DAY = 24 * 60 * 60 * 1000;

/** Whole days from now until `iso` (negative once past). */
export function daysLeft(iso: string | undefined, now = Date.now()): number | undefined {
  if (!iso) return undefined;
  return Math.floor((new Date(iso).getTime() - now) / DAY);
}

/** The colour class for days left: 90, 30 and 7 days are the thresholds. */
export function expiryClass(days: number): string {
  if (days <= 7) return 'expiry-7';
  if (days <= 30) return 'expiry-30';
  if (days <= 90) return 'expiry-90';
  return 'expiry-ok';
}

export function formatDate(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
}

export interface Polled<T> {
  data: T | undefined;
  error: string | undefined;
  /** Fetches again now (e.g. after an action). */
  refresh: () => Promise<void>;
}

/**
 * Live data without a reload: runs `load` now and every `intervalMs` while the page is visible,
 * and again whenever `deps` change. A failure is shown, not thrown; the next poll retries.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, deps: unknown[] = []): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const alive = useRef(true);
  const refresh = async () => {
    try {
      const d = await loadRef.current();
      if (!alive.current) return;
      setData(d);
      setError(undefined);
    } catch (e) {
      if (alive.current) setError((e as Error).message);
    }
  };
  useEffect(() => {
    alive.current = true;
    setData(undefined);
    void refresh();
    const t = setInterval(() => {
      if (document.visibilityState === 'visible') void refresh();
    }, intervalMs);
    return () => {
      alive.current = false;
      clearInterval(t);
    };
  }, deps);
  return { data, error, refresh };
}

/** The instance's `value`s as an array (an absent list is empty). */
export function arr<T>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
}
