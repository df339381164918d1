/**
 * `tlsql describe-served-certificate-chain`: what an instance's endpoint presents, read from a
 * verified handshake by the server (tlsql action DescribeServedCertificateChain, also behind the
 * web console's chain view).
 */
import { defineCommand } from '../registry.js';
import { callTlsqlAction } from '../tlsql-api.js';

export const describeServedCertificateChain = defineCommand({
  name: 'describe-served-certificate-chain',
  summary: "Decodes the certificate chain an instance's endpoint serves, from a handshake verified with the bundle and the endpoint's name.",
  description:
    'The server opens the endpoint as a client with VERIFY_IDENTITY does (MySQL greeting, SSLRequest, TLS verified against ' +
    'the public bundle and the endpoint name) and returns every certificate the endpoint sent, leaf first: subject, subject ' +
    'alternative names, issuer, validity, key type, serial and SHA-1 thumbprint. A failed handshake is an error that says ' +
    'why. (tlsql action DescribeServedCertificateChain; the web console\'s chain view.)',
  options: [{ name: 'db-instance-identifier', type: 'string', required: true, help: 'The DB instance identifier.' }],
  async run(ctx, args) {
    const out = await callTlsqlAction(ctx, 'DescribeServedCertificateChain', { DBInstanceIdentifier: args.dbInstanceIdentifier }, ['Certificates', 'SubjectAlternativeNames']);
    ctx.print('DescribeServedCertificateChain', out);
  },
});
