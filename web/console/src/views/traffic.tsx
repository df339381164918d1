/**
 * Traffic: the last hour of the counters `/metrics` exports (sampled by the server every 10 s):
 * new connections per second, refusals by reason, live sessions by TLS version, IAM logins and
 * refusals by reason.
 */
import { Chart } from '../chart.tsx';
import { usePolling } from '../util.ts';
import { Message } from './common.tsx';

interface Sample {
  at: number;
  accepted: number;
  refusals: Record<string, number>;
  sessions: Record<string, number>;
  iamLogins: number;
  iamRefusals: Record<string, number>;
}

async function load(): Promise<Sample[]> {
  const r = await fetch('/console/metrics-history', { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`metrics history: HTTP ${r.status}`);
  return ((await r.json()) as { samples: Sample[] }).samples;
}

/** Per-second rate between consecutive samples of a counter (null for the first, or after a reset). */
function rate(samples: Sample[], get: (s: Sample) => number): (number | null)[] {
  return samples.map((s, i) => {
    const prev = samples[i - 1];
    if (!prev) return null;
    const d = get(s) - get(prev);
    const secs = (s.at - prev.at) / 1000;
    return d < 0 || secs <= 0 ? null : d / secs;
  });
}

/** Names ever seen with a non-zero value in `pick` (so all-zero reasons do not crowd the legend). */
function keysOf(samples: Sample[], pick: (s: Sample) => Record<string, number>): string[] {
  const keys = new Set<string>();
  for (const s of samples) for (const [k, v] of Object.entries(pick(s))) if (v > 0) keys.add(k);
  return [...keys].sort();
}

export function TrafficView() {
  const { data, error } = usePolling(load, 10_000);
  const samples = data ?? [];
  const x = samples.map((s) => s.at / 1000);
  // The last hour up to the newest sample (the server's clock), whatever the number of samples.
  const end = x.at(-1) ?? Date.now() / 1000;
  const xRange: [number, number] = [end - 3600, end];
  const refusalKeys = keysOf(samples, (s) => s.refusals);
  const sessionKeys = keysOf(samples, (s) => s.sessions);
  const iamKeys = keysOf(samples, (s) => s.iamRefusals);
  return (
    <>
      <h1 tabIndex={-1}>Traffic</h1>
      <p class="muted">The last hour of the counters served at /metrics, sampled every 10 seconds.</p>
      <Message error={error} />
      {data === undefined ? (
        <p>Loading…</p>
      ) : (
        <div class="charts">
          <Chart xRange={xRange} title="New connections per second" yLabel="connections/s" series={['accepted']} data={[x, rate(samples, (s) => s.accepted)]} />
          <Chart
            xRange={xRange}
            title="Refusals per second by reason"
            yLabel="refusals/s"
            series={refusalKeys.length ? refusalKeys : ['none']}
            data={[x, ...(refusalKeys.length ? refusalKeys.map((k) => rate(samples, (s) => s.refusals[k] ?? 0)) : [x.map(() => 0)])]}
          />
          <Chart
            xRange={xRange}
            title="Live sessions by TLS version"
            yLabel="sessions"
            series={sessionKeys.length ? sessionKeys : ['none']}
            data={[x, ...(sessionKeys.length ? sessionKeys.map((k) => samples.map((s) => s.sessions[k] ?? 0)) : [x.map(() => 0)])]}
          />
          <Chart
            xRange={xRange}
            title="IAM logins and refusals per second"
            yLabel="per second"
            series={['logins', ...iamKeys.map((k) => `refused: ${k}`)]}
            data={[x, rate(samples, (s) => s.iamLogins), ...iamKeys.map((k) => rate(samples, (s) => s.iamRefusals[k] ?? 0))]}
          />
        </div>
      )}
    </>
  );
}
