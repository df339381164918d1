/**
 * The API actions the console brings (tlsql's own, served on `POST /` with SigV4 like every
 * other action, and on the console's session path where noted):
 *
 * - `CreateConsoleLoginLink`: a one-time login link for the console (what `tlsql console` prints).
 *   SigV4 only: a console session cannot mint links.
 * - `DescribeServedCertificateChain` (DBInstanceIdentifier): a verifying TLS handshake with the
 *   instance's endpoint, exactly as a client with VERIFY_IDENTITY and the public bundle makes it,
 *   and every certificate the endpoint sent, decoded (subject, SANs, issuer, validity, key type).
 */
import { defineAction, type Action } from '../api/actions/action.js';
import type { ControlPlane } from '../control/control-plane.js';
import { AppError } from '../errors/app-error.js';
import { parseCertificate } from '../pki/inspect.js';
import { probeEndpoint } from '../reconcile/tls-probe.js';
import type { ConsoleAuth } from './console-auth.js';

export interface ConsoleActionsOptions {
  auth: ConsoleAuth;
  /** The API's URL as the browser reaches it, e.g. `http://127.0.0.1:9336`. */
  publicUrl: () => string;
  /** The public bundle (roots) that verifies the endpoints of `region`. */
  bundlePem: (region: string) => string;
  /** Address the endpoints listen on, for the probe (the endpoint's name is checked, not resolved). */
  probeAddress: string;
}

/** The console's actions, bound to its login links and the CA's bundles. */
export function consoleActions(opts: ConsoleActionsOptions): Action[] {
  const createConsoleLoginLink = defineAction('CreateConsoleLoginLink', async ({ principal, logger }) => {
    const { token, expiresAt } = opts.auth.createLoginLink(principal);
    logger.info('console login link created', { principal, expiresAt });
    const url = `${opts.publicUrl()}/console/login?token=${token}`;
    return (w) => w.leaf('LoginUrl', url).leaf('ExpiresAt', expiresAt);
  });

  const describeServedCertificateChain = defineAction('DescribeServedCertificateChain', async ({ control, params }) => {
    const id = params.requiredString('DBInstanceIdentifier');
    const inst = await describeOne(control, id);
    if (!inst.endpoint || inst.status === 'stopped' || inst.status === 'creating') {
      throw new AppError('InvalidDBInstanceState', `DB instance ${id} has no endpoint serving now (status ${inst.status}).`);
    }
    const probe = await probeEndpoint({ address: opts.probeAddress, port: inst.endpoint.port, endpoint: inst.endpoint.address, bundlePem: opts.bundlePem(inst.region) }).catch((e: unknown) => {
      // What the handshake said (e.g. a name mismatch, an unknown CA) is the answer, not an internal failure.
      const why = e instanceof AppError && e.cause instanceof Error ? e.cause.message : String(e);
      throw new AppError('InvalidDBInstanceState', `The endpoint of DB instance ${id} failed a verified TLS handshake: ${why}`, { cause: e });
    });
    const chain = probe.chainPems.map((pem) => parseCertificate(pem));
    return (w) =>
      w
        .leaf('DBInstanceIdentifier', id)
        .leaf('Endpoint', inst.endpoint!.address)
        .leaf('Port', inst.endpoint!.port)
        .leaf('TlsVersion', probe.protocol)
        .leaf('Verified', true)
        .list('Certificates', 'Certificate', chain, (c, cert) =>
          c
            .leaf('Subject', cert.subject)
            .leaf('Issuer', cert.issuer)
            .scalarList('SubjectAlternativeNames', 'Name', cert.sans)
            .leaf('ValidFrom', cert.notBefore)
            .leaf('ValidTill', cert.notAfter)
            .leaf('KeyType', cert.keyType ?? 'other')
            .leaf('SerialNumber', cert.serialHex)
            .leaf('Thumbprint', cert.thumbprintSha1)
            .leaf('IsCA', cert.isCa),
        );
  });

  return [createConsoleLoginLink, describeServedCertificateChain];
}

async function describeOne(control: ControlPlane, id: string) {
  const [inst] = await control.describeDbInstances({ dbInstanceIdentifier: id });
  if (!inst) throw new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
  return inst;
}
