import { describe, expect, it } from 'vitest';
import { MetricsHistory, parseTraffic } from '../../../src/console/metrics-history.js';
import { ManualClock } from '../../../src/lib/clock.js';

const text = (accepted: number) => `# HELP tlsql_connections Live sessions.
# TYPE tlsql_connections gauge
tlsql_connections{instance="a",transport="tls",tls_version="TLSv1.3",cipher="TLS_AES_256_GCM_SHA384"} 3
tlsql_connections{instance="b",transport="tls",tls_version="TLSv1.2",cipher="ECDHE-RSA-AES128-GCM-SHA256"} 1
tlsql_connections{instance="b",transport="plaintext",tls_version="",cipher=""} 2
tlsql_connections_accepted_total{instance="a"} ${accepted}
tlsql_connections_accepted_total{instance="b"} 5
tlsql_connection_refusals_total{instance="a",reason="require_secure_transport"} 4
tlsql_connection_refusals_total{instance="b",reason="require_secure_transport"} 1
tlsql_connection_refusals_total{instance="b",reason="allow_list"} 0
tlsql_iam_logins_total{instance="a"} 7
tlsql_iam_login_refusals_total{instance="a",reason="expired"} 2
`;

describe('traffic samples of the /metrics text', () => {
  it('sum the charted counters over instances, by reason and TLS version', () => {
    expect(parseTraffic(text(10), 1000)).toEqual({
      at: 1000,
      accepted: 15,
      refusals: { require_secure_transport: 5, allow_list: 0 },
      sessions: { 'TLSv1.3': 3, 'TLSv1.2': 1, plaintext: 2 },
      iamLogins: 7,
      iamRefusals: { expired: 2 },
    });
  });

  it('keep one hour of samples on the injected clock', () => {
    const clock = new ManualClock();
    let n = 0;
    const h = new MetricsHistory({ metrics: () => text(n++), clock, historyMs: 60 * 60_000 });
    for (let i = 0; i < 400; i++) {
      h.sample();
      clock.advance(10_000);
    }
    const s = h.samples();
    expect(s.length).toBe(361);
    expect(s.at(-1)!.at - s[0]!.at).toBe(60 * 60_000);
    expect(s.at(-1)!.accepted).toBe(399 + 5);
  });
});
