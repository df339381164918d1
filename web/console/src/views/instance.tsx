/**
 * One instance: the served chain (decoded from a verifying handshake), live sessions with "close",
 * events and pending maintenance, the CA selector, connection snippets and the bundle.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { connectionSnippet, type SnippetClient } from '../../../../src/doctor/snippets.ts';
import { call, type Params } from '../api.ts';
import type { CaCertificate, Connection, DbInstance, ServedCertificate } from '../types.ts';
import { arr, formatBytes, formatDate, formatDuration, str, usePolling } from '../util.ts';
import { ExpiryBadge, Message, StatusBadge } from './common.tsx';

interface PendingAction {
  Action: string;
  Description?: string;
  AutoAppliedAfterDate?: string;
  ForcedApplyDate?: string;
  OptInStatus?: string;
  CurrentApplyDate?: string;
}

interface Live {
  instance: DbInstance;
  connections: Connection[];
  pending: PendingAction[];
  events: { Date: string; Message: string; EventCategories?: string[] }[];
}

const filterById = (id: string): Params => ({ 'Filters.Filter.1.Name': 'db-instance-id', 'Filters.Filter.1.Values.Value.1': id });

async function loadLive(id: string): Promise<Live> {
  const [inst, conns, pending, events] = await Promise.all([
    call<{ DBInstances?: DbInstance[] }>('DescribeDBInstances', { DBInstanceIdentifier: id }),
    call<{ Connections?: Connection[] }>('DescribeDBConnections', { DBInstanceIdentifier: id }),
    call<{ PendingMaintenanceActions?: { PendingMaintenanceActionDetails?: PendingAction[] }[] }>('DescribePendingMaintenanceActions', filterById(id)),
    call<{ Events?: Live['events'] }>('DescribeEvents', { SourceIdentifier: id, SourceType: 'db-instance', Duration: 10080 }),
  ]);
  const instance = arr<DbInstance>(inst.DBInstances)[0];
  if (!instance) throw new Error(`DB instance ${id} not found.`);
  return {
    instance,
    connections: arr<Connection>(conns.Connections),
    pending: arr<{ PendingMaintenanceActionDetails?: PendingAction[] }>(pending.PendingMaintenanceActions).flatMap((r) => arr<PendingAction>(r.PendingMaintenanceActionDetails)),
    events: arr<Live['events'][number]>(events.Events).reverse(),
  };
}

export function InstanceView({ id, region }: { id: string; region: string }) {
  const live = usePolling(() => loadLive(id), 2000, [id]);
  const [message, setMessage] = useState<{ error?: string; info?: string }>({});
  const run = async (what: string, action: string, params: Params) => {
    setMessage({});
    try {
      await call(action, params);
      setMessage({ info: what });
      await live.refresh();
    } catch (e) {
      setMessage({ error: `${what} failed: ${(e as Error).message}` });
    }
  };
  const i = live.data?.instance;
  return (
    <>
      <h1 tabIndex={-1}>
        Instance <code>{id}</code>
      </h1>
      <p>
        <a href="#/instances">← All instances</a>
      </p>
      <Message error={live.error} />
      <Message error={message.error} info={message.info} />
      {!i || !live.data ? (
        <p aria-live="polite">Loading…</p>
      ) : (
        <>
          <section class="panel" aria-labelledby="summary-h">
            <h2 id="summary-h">Summary</h2>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <StatusBadge status={i.DBInstanceStatus} />
              </dd>
              <dt>Endpoint</dt>
              <dd>
                <code id="endpoint">{str(i.Endpoint?.Address)}</code> port <code>{str(i.Endpoint?.Port)}</code>
              </dd>
              <dt>CA</dt>
              <dd id="ca-id">
                {i.CACertificateIdentifier}
                {i.PendingModifiedValues?.CACertificateIdentifier && <> (pending: {i.PendingModifiedValues.CACertificateIdentifier} at the next window)</>}
              </dd>
              <dt>Certificate</dt>
              <dd>
                <ExpiryBadge validTill={i.CertificateDetails?.ValidTill} /> (valid till {formatDate(i.CertificateDetails?.ValidTill)})
              </dd>
              <dt>IAM authentication</dt>
              <dd>{i.IAMDatabaseAuthenticationEnabled === 'true' ? 'on' : 'off'}</dd>
              <dt>Maintenance window</dt>
              <dd>{str(i.PreferredMaintenanceWindow)}</dd>
              <dt>Availability</dt>
              <dd id="multi-az">
                {i.MultiAZ === 'true' ? `Multi-AZ: primary in ${str(i.AvailabilityZone)}, standby in ${str(i.SecondaryAvailabilityZone)}` : `Single-AZ (${str(i.AvailabilityZone)})`}
                {i.PendingModifiedValues?.MultiAZ !== undefined && <> (pending: Multi-AZ {i.PendingModifiedValues.MultiAZ === 'true' ? 'on' : 'off'} at the next window)</>}
              </dd>
              {i.ReadReplicaSourceDBInstanceIdentifier && (
                <>
                  <dt>Read replica of</dt>
                  <dd>
                    <a href={`#/instance/${encodeURIComponent(i.ReadReplicaSourceDBInstanceIdentifier)}`}>{i.ReadReplicaSourceDBInstanceIdentifier}</a>
                  </dd>
                </>
              )}
              {arr<string>(i.ReadReplicaDBInstanceIdentifiers).length > 0 && (
                <>
                  <dt>Read replicas</dt>
                  <dd>
                    {arr<string>(i.ReadReplicaDBInstanceIdentifiers).map((r, n) => (
                      <Fragment key={r}>
                        {n > 0 && ', '}
                        <a href={`#/instance/${encodeURIComponent(r)}`}>{r}</a>
                      </Fragment>
                    ))}
                  </dd>
                </>
              )}
              {arr<{ StatusType?: string; Normal?: string; Status?: string; Message?: string }>(i.StatusInfos).map((s) => (
                <Fragment key={str(s.StatusType)}>
                  <dt>{str(s.StatusType)}</dt>
                  <dd>
                    {s.Normal === 'true' ? '' : 'Needs attention: '}
                    {str(s.Status)}
                    {s.Message ? `: ${s.Message}` : ''}
                  </dd>
                </Fragment>
              ))}
            </dl>
          </section>
          <CaSelector instance={i} run={run} />
          <Chain instance={i} />
          <Sessions id={id} connections={live.data.connections} run={run} />
          <Maintenance instance={i} pending={live.data.pending} events={live.data.events} run={run} />
          <Snippets instance={i} region={region} />
        </>
      )}
    </>
  );
}

type Run = (what: string, action: string, params: Params) => Promise<void>;

function CaSelector({ instance, run }: { instance: DbInstance; run: Run }) {
  const [cas, setCas] = useState<CaCertificate[]>([]);
  const [chosen, setChosen] = useState(instance.CACertificateIdentifier ?? '');
  useEffect(() => {
    void call<{ Certificates?: CaCertificate[] }>('DescribeCertificates').then((r) => setCas(arr<CaCertificate>(r.Certificates)), () => {});
  }, []);
  const rotate = (immediately: boolean) =>
    run(
      immediately ? `Rotating to ${chosen} now` : `Rotation to ${chosen} scheduled for the next maintenance window`,
      'ModifyDBInstance',
      { DBInstanceIdentifier: instance.DBInstanceIdentifier, CACertificateIdentifier: chosen, ApplyImmediately: immediately },
    );
  const same = chosen === instance.CACertificateIdentifier;
  return (
    <section class="panel" aria-labelledby="ca-h">
      <h2 id="ca-h">Certificate authority</h2>
      <div class="row">
        <label for="ca-select">CA for this instance</label>
        <select id="ca-select" value={chosen} onChange={(e) => setChosen((e.target as HTMLSelectElement).value)}>
          {cas.map((c) => (
            <option key={c.CertificateIdentifier} value={c.CertificateIdentifier}>
              {c.CertificateIdentifier}
              {c.CertificateIdentifier === instance.CACertificateIdentifier ? ' (current)' : ''}
            </option>
          ))}
        </select>
        <button type="button" id="rotate-now" disabled={same || instance.DBInstanceStatus !== 'available'} onClick={() => void rotate(true)}>
          Rotate now
        </button>
        <button type="button" class="secondary" id="rotate-window" disabled={same} onClick={() => void rotate(false)}>
          At the next window
        </button>
      </div>
    </section>
  );
}

function Chain({ instance }: { instance: DbInstance }) {
  const [chain, setChain] = useState<{ certs: ServedCertificate[]; tls: string } | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  // A new handshake whenever what the endpoint serves may have changed: CA, certificate, status.
  const key = `${instance.CACertificateIdentifier}|${instance.CertificateDetails?.ValidTill}|${instance.DBInstanceStatus}`;
  const load = () => {
    if (instance.DBInstanceStatus !== 'available') return;
    setError(undefined);
    call<{ Certificates?: ServedCertificate[]; TlsVersion?: string }>('DescribeServedCertificateChain', { DBInstanceIdentifier: instance.DBInstanceIdentifier }).then(
      (r) => setChain({ certs: arr<ServedCertificate>(r.Certificates), tls: str(r.TlsVersion) }),
      (e: Error) => setError(e.message),
    );
  };
  useEffect(load, [key]);
  return (
    <section class="panel" aria-labelledby="chain-h" id="chain">
      <h2 id="chain-h">Served certificate chain</h2>
      <p class="muted">
        What the endpoint sends, read from a handshake verified against the public bundle and the endpoint's name (as a client with
        VERIFY_IDENTITY makes it){chain ? `, ${chain.tls}` : ''}.{' '}
        <button type="button" class="secondary" onClick={load}>
          Check again
        </button>
      </p>
      <Message error={error} />
      {chain?.certs.map((c, n) => (
        <div class="cert" key={c.SerialNumber} data-key-type={c.KeyType}>
          <h3>{n === 0 ? 'Server certificate' : 'Issuing CA'}</h3>
          <dl class="facts">
            <dt>Subject</dt>
            <dd>{c.Subject}</dd>
            {n === 0 && (
              <>
                <dt>SAN</dt>
                <dd>{arr<string>(c.SubjectAlternativeNames).join(', ')}</dd>
              </>
            )}
            <dt>Issuer</dt>
            <dd>{c.Issuer}</dd>
            <dt>Valid</dt>
            <dd>
              {formatDate(c.ValidFrom)} to {formatDate(c.ValidTill)} <ExpiryBadge validTill={c.ValidTill} />
            </dd>
            <dt>Key type</dt>
            <dd class="key-type">{c.KeyType}</dd>
            <dt>Serial</dt>
            <dd>
              <code>{c.SerialNumber}</code>
            </dd>
            <dt>SHA-1 thumbprint</dt>
            <dd>
              <code>{c.Thumbprint}</code>
            </dd>
          </dl>
        </div>
      ))}
    </section>
  );
}

function Sessions({ id, connections, run }: { id: string; connections: Connection[]; run: Run }) {
  const plaintext = connections.filter((c) => c.Transport === 'plaintext').length;
  return (
    <section class="panel" aria-labelledby="sessions-h">
      <h2 id="sessions-h">Live sessions</h2>
      <div class="row">
        <button type="button" class="danger" disabled={plaintext === 0} onClick={() => void run('Closed the plaintext sessions', 'CloseDBConnections', { DBInstanceIdentifier: id, Transport: 'plaintext' })}>
          Close all plaintext sessions ({plaintext})
        </button>
      </div>
      {connections.length === 0 ? (
        <p>No live sessions.</p>
      ) : (
        <table id="sessions">
          <caption>Sessions through the endpoint</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Client</th>
              <th scope="col">Transport</th>
              <th scope="col">TLS version</th>
              <th scope="col">Cipher</th>
              <th scope="col">Client certificate</th>
              <th scope="col">Duration</th>
              <th scope="col">Bytes in / out</th>
              <th scope="col">
                <span class="muted">Action</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connections.map((c) => (
              <tr key={c.ConnectionId} data-connection={c.ConnectionId} data-transport={c.Transport}>
                <td>{str(c.User) || <span class="muted">(logging in)</span>}</td>
                <td>
                  <code>
                    {str(c.ClientAddress)}:{str(c.ClientPort)}
                  </code>
                </td>
                <td>
                  <span class={`badge ${c.Transport === 'tls' ? 'tls' : c.Transport === 'plaintext' ? 'plaintext' : 'status-other'}`}>{c.Transport}</span>
                </td>
                <td>{str(c.TlsVersion)}</td>
                <td>
                  <code>{str(c.Cipher)}</code>
                </td>
                <td>{str(c.ClientCertificateSubject) || <span class="muted">none</span>}</td>
                <td class="num">{formatDuration(Number(c.DurationSeconds ?? 0))}</td>
                <td class="num">
                  {formatBytes(Number(c.BytesIn ?? 0))} / {formatBytes(Number(c.BytesOut ?? 0))}
                </td>
                <td>
                  <button
                    type="button"
                    class="danger"
                    aria-label={`Close session ${c.ConnectionId} of ${str(c.User) || 'unknown user'} from ${str(c.ClientAddress)}`}
                    onClick={() => void run(`Closed session ${c.ConnectionId}`, 'CloseDBConnections', { DBInstanceIdentifier: id, 'ConnectionIds.member.1': c.ConnectionId })}
                  >
                    Close session
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Maintenance({ instance, pending, events, run }: { instance: DbInstance; pending: PendingAction[]; events: Live['events']; run: Run }) {
  const apply = (a: PendingAction, optIn: 'immediate' | 'next-maintenance') =>
    run(optIn === 'immediate' ? `Applying ${a.Action} now` : `${a.Action} will be applied at the next window`, 'ApplyPendingMaintenanceAction', {
      ResourceIdentifier: instance.DBInstanceArn,
      ApplyAction: a.Action,
      OptInType: optIn,
    });
  return (
    <section class="panel" aria-labelledby="maint-h">
      <h2 id="maint-h">Pending maintenance and events</h2>
      {pending.length === 0 ? (
        <p>No pending maintenance.</p>
      ) : (
        <table id="pending">
          <caption>Pending maintenance actions</caption>
          <thead>
            <tr>
              <th scope="col">Action</th>
              <th scope="col">Description</th>
              <th scope="col">Opt-in</th>
              <th scope="col">Applies</th>
              <th scope="col">
                <span class="muted">Apply</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {pending.map((a) => (
              <tr key={a.Action}>
                <td>{a.Action}</td>
                <td>{str(a.Description)}</td>
                <td>{str(a.OptInStatus)}</td>
                <td>{formatDate(a.CurrentApplyDate ?? a.AutoAppliedAfterDate ?? a.ForcedApplyDate)}</td>
                <td class="row">
                  <button type="button" onClick={() => void apply(a, 'immediate')}>
                    Apply now
                  </button>
                  <button type="button" class="secondary" onClick={() => void apply(a, 'next-maintenance')}>
                    At the next window
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <table id="events">
        <caption>Events of the last 7 days, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Categories</th>
            <th scope="col">Message</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, 50).map((e, n) => (
            <tr key={n}>
              <td>{formatDate(e.Date)}</td>
              <td>{arr<string>(e.EventCategories).join(', ')}</td>
              <td>{e.Message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

const CLIENTS: { id: SnippetClient | 'tlsql'; label: string }[] = [
  { id: 'cli', label: 'mysql CLI' },
  { id: 'tlsql', label: 'tlsql mysql' },
  { id: 'mysql2', label: 'Node mysql2' },
  { id: 'jdbc', label: 'JDBC' },
  { id: 'pymysql', label: 'PyMySQL' },
  { id: 'go', label: 'Go' },
];

function Snippets({ instance, region }: { instance: DbInstance; region: string }) {
  const [client, setClient] = useState<SnippetClient | 'tlsql'>('cli');
  const [copied, setCopied] = useState(false);
  const bundle = 'global-bundle.pem';
  const host = str(instance.Endpoint?.Address);
  const port = Number(instance.Endpoint?.Port ?? 3306);
  const user = str(instance.MasterUsername) || 'admin';
  const iam = instance.IAMDatabaseAuthenticationEnabled === 'true';
  const text =
    client === 'tlsql'
      ? `# tlsql's MySQL client takes MySQL 8's options; VERIFY_IDENTITY checks the chain and the host name:\ntlsql mysql -h ${host} -P ${port} -u ${user} -p --ssl-ca=${bundle} --ssl-mode=VERIFY_IDENTITY\n`
      : connectionSnippet(client, { host, port, user, bundlePath: bundle, iam: false, region });
  const copy = async () => {
    await navigator.clipboard.writeText(text).then(() => setCopied(true), () => setCopied(false));
  };
  return (
    <section class="panel" aria-labelledby="snip-h">
      <h2 id="snip-h">Connect with verification</h2>
      <p>
        Download the bundle first:{' '}
        <a id="bundle-download" href="/bundles/global-bundle.pem" download="global-bundle.pem">
          global-bundle.pem
        </a>{' '}
        (roots of every CA family and region) or{' '}
        <a href={`/bundles/${region}-bundle.pem`} download={`${region}-bundle.pem`}>
          {region}-bundle.pem
        </a>
        . Passwords come from the environment (<code>DB_PASSWORD</code>), never from a snippet.
        {iam && ' IAM authentication is on: tlsql generate-db-auth-token makes a token to use as the password.'}
      </p>
      <div class="row" role="group" aria-label="Client">
        <label for="snippet-client">Client</label>
        <select id="snippet-client" value={client} onChange={(e) => setClient((e.target as HTMLSelectElement).value as SnippetClient | 'tlsql')}>
          {CLIENTS.map((c) => (
            <option key={c.id} value={c.id}>
              {c.label}
            </option>
          ))}
        </select>
        <button type="button" class="secondary" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre class="snippet" id="snippet" tabIndex={0} aria-label="Connection snippet">
        {text}
      </pre>
    </section>
  );
}
