/** Certificates: CA families and roots, bundle downloads, and when every certificate expires. */
import { call, callAll } from '../api.ts';
import { Chart } from '../chart.tsx';
import type { CaCertificate, DbInstance } from '../types.ts';
import { arr, formatDate, usePolling } from '../util.ts';
import { ExpiryBadge, Message } from './common.tsx';

async function load() {
  const [cas, instances] = await Promise.all([call<{ Certificates?: CaCertificate[] }>('DescribeCertificates'), callAll<DbInstance>('DescribeDBInstances', 'DBInstances')]);
  return { cas: arr<CaCertificate>(cas.Certificates), instances };
}

export function CertificatesView({ region }: { region: string }) {
  const { data, error } = usePolling(load, 15_000);
  const now = Date.now() / 1000;
  // The timeline: one series per certificate, a point now and one at its expiry.
  const items = data
    ? [
        ...data.cas.map((c) => ({ name: `CA ${c.CertificateIdentifier}`, till: new Date(c.ValidTill).getTime() / 1000 })),
        ...data.instances.filter((i) => i.CertificateDetails?.ValidTill).map((i) => ({ name: `server ${i.DBInstanceIdentifier}`, till: new Date(i.CertificateDetails!.ValidTill!).getTime() / 1000 })),
      ].sort((a, b) => a.till - b.till)
    : [];
  const xs = [...new Set([now, ...items.map((t) => t.till)])].sort((a, b) => a - b);
  const timeline = [xs, ...items.map((t, n) => xs.map((x) => (x === t.till ? n + 1 : null)))];
  return (
    <>
      <h1 tabIndex={-1}>Certificates</h1>
      <Message error={error} />
      <section class="panel" aria-labelledby="bundles-h">
        <h2 id="bundles-h">Bundles</h2>
        <p>Roots only, the files clients verify endpoints with:</p>
        <ul>
          <li>
            <a href="/bundles/global-bundle.pem" download="global-bundle.pem">global-bundle.pem</a> (PEM, every family and region),{' '}
            <a href="/bundles/global-bundle.p7b" download="global-bundle.p7b">global-bundle.p7b</a> (PKCS#7),{' '}
            <a href="/console/bundles/global-bundle.p12" download="global-bundle.p12">global-bundle.p12</a> (PKCS#12 truststore for Java, password{' '}
            <code>changeit</code>)
          </li>
          <li>
            <a href={`/bundles/${region}-bundle.pem`} download={`${region}-bundle.pem`}>{region}-bundle.pem</a> (this region)
          </li>
        </ul>
      </section>
      {data && (
        <>
          <table id="cas">
            <caption>CA families (roots of {region})</caption>
            <thead>
              <tr>
                <th scope="col">CA</th>
                <th scope="col">SHA-1 thumbprint</th>
                <th scope="col">Valid from</th>
                <th scope="col">Valid till</th>
                <th scope="col">Expiry</th>
                <th scope="col">Default for new instances</th>
                <th scope="col">Bundle</th>
              </tr>
            </thead>
            <tbody>
              {data.cas.map((c) => (
                <tr key={c.CertificateIdentifier}>
                  <th scope="row">{c.CertificateIdentifier}</th>
                  <td>
                    <code>{c.Thumbprint}</code>
                  </td>
                  <td>{formatDate(c.ValidFrom)}</td>
                  <td>{formatDate(c.ValidTill)}</td>
                  <td>
                    <ExpiryBadge validTill={c.ValidTill} />
                  </td>
                  <td>{c.CustomerOverride === 'true' ? 'yes (override)' : ''}</td>
                  <td>
                    <a href={`/bundles/${c.CertificateIdentifier}-bundle.pem`} download={`${c.CertificateIdentifier}-bundle.pem`}>
                      PEM
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Expiry timeline</h2>
          <Chart title="When each certificate expires" yLabel="certificate" series={items.map((t) => t.name)} yNames={items.map((t) => t.name)} data={timeline} points height={Math.max(200, 60 + items.length * 36)} />
        </>
      )}
    </>
  );
}
