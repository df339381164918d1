/** Instances: every DB instance's TLS state at a glance, refreshed every 3 seconds. */
import { call, callAll } from '../api.ts';
import type { Connection, DbInstance } from '../types.ts';
import { arr, str, usePolling } from '../util.ts';
import { ExpiryBadge, Message, StatusBadge } from './common.tsx';

interface Row {
  instance: DbInstance;
  requireSecureTransport: string;
  sessions: Record<string, number>;
}

async function load(): Promise<Row[]> {
  const [instances, conns] = await Promise.all([
    callAll<DbInstance>('DescribeDBInstances', 'DBInstances'),
    call<{ Connections?: Connection[] }>('DescribeDBConnections'),
  ]);
  const groups = [...new Set(instances.map((i) => str(arr<{ DBParameterGroupName: string }>(i.DBParameterGroups)[0]?.DBParameterGroupName)).filter(Boolean))];
  const rst = new Map<string, string>();
  await Promise.all(
    groups.map(async (g) => {
      const user = await callAll<{ ParameterName: string; ParameterValue?: string }>('DescribeDBParameters', 'Parameters', { DBParameterGroupName: g, Source: 'user' });
      const p = user.find((x) => x.ParameterName === 'require_secure_transport');
      rst.set(g, p?.ParameterValue ? p.ParameterValue.toUpperCase() : 'OFF (default)');
    }),
  );
  return instances.map((instance) => {
    const sessions: Record<string, number> = {};
    for (const c of arr<Connection>(conns.Connections)) {
      if (c.DBInstanceIdentifier !== instance.DBInstanceIdentifier) continue;
      const k = c.Transport === 'tls' ? str(c.TlsVersion) || 'TLS' : str(c.Transport);
      sessions[k] = (sessions[k] ?? 0) + 1;
    }
    const group = str(arr<{ DBParameterGroupName: string }>(instance.DBParameterGroups)[0]?.DBParameterGroupName);
    return { instance, requireSecureTransport: rst.get(group) ?? '', sessions };
  });
}

export function InstancesView() {
  const { data, error } = usePolling(load, 3000);
  return (
    <>
      <h1 tabIndex={-1}>Instances</h1>
      <Message error={error} />
      {data === undefined ? (
        <p aria-live="polite">Loading…</p>
      ) : data.length === 0 ? (
        <p>
          No DB instances yet. Create one with <code>tlsql create-db-instance</code>.
        </p>
      ) : (
        <table id="instances">
          <caption>DB instances, their certificates and live sessions (updated every 3 seconds)</caption>
          <thead>
            <tr>
              <th scope="col">Instance</th>
              <th scope="col">Status</th>
              <th scope="col">Endpoint</th>
              <th scope="col">Port</th>
              <th scope="col">CA</th>
              <th scope="col">Certificate expiry</th>
              <th scope="col">IAM</th>
              <th scope="col">require_secure_transport</th>
              <th scope="col">Live sessions</th>
            </tr>
          </thead>
          <tbody>
            {data.map(({ instance: i, requireSecureTransport, sessions }) => (
              <tr key={i.DBInstanceIdentifier} data-instance={i.DBInstanceIdentifier}>
                <th scope="row">
                  <a href={`#/instance/${encodeURIComponent(i.DBInstanceIdentifier)}`}>{i.DBInstanceIdentifier}</a>
                </th>
                <td>
                  <StatusBadge status={i.DBInstanceStatus} />
                </td>
                <td class="endpoint">
                  <code>{str(i.Endpoint?.Address)}</code>
                </td>
                <td class="num">{str(i.Endpoint?.Port)}</td>
                <td>{i.CACertificateIdentifier}</td>
                <td class="expiry">
                  <ExpiryBadge validTill={i.CertificateDetails?.ValidTill} />
                </td>
                <td>{i.IAMDatabaseAuthenticationEnabled === 'true' ? 'on' : 'off'}</td>
                <td>{requireSecureTransport}</td>
                <td class="sessions">
                  {Object.keys(sessions).length === 0
                    ? 'none'
                    : Object.entries(sessions)
                        .sort()
                        .map(([k, n]) => (
                          <span key={k} class={`badge ${k === 'plaintext' ? 'plaintext' : k === 'handshake' ? 'status-other' : 'tls'}`}>
                            {k}: {n}
                          </span>
                        ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
