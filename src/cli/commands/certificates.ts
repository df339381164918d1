/** CA certificate commands: describe-certificates, modify-certificates. */

import { DescribeCertificatesCommand, ModifyCertificatesCommand } from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption } from './common-options.js';

export const describeCertificates = rdsCommand({
  name: 'describe-certificates',
  operation: 'DescribeCertificates',
  command: DescribeCertificatesCommand,
  resultKey: 'Certificates',
  summary: 'Lists the CA certificates instances can use, and the default for new instances.',
  options: [
    { name: 'certificate-identifier', type: 'string', member: 'CertificateIdentifier', help: 'Describe only this CA, e.g. tlsql-ca-rsa2048-g1.' },
    filtersOption,
  ],
});

export const modifyCertificates = rdsCommand({
  name: 'modify-certificates',
  operation: 'ModifyCertificates',
  command: ModifyCertificatesCommand,
  summary: 'Sets or clears the CA used by default for new DB instances.',
  options: [
    { name: 'certificate-identifier', type: 'string', member: 'CertificateIdentifier', help: 'CA to use for new instances from now on (a customer override).' },
    { name: 'remove-customer-override', type: 'boolean', member: 'RemoveCustomerOverride', help: 'Go back to the built-in default CA.' },
  ],
});

export const certificateCommands: readonly CommandDef[] = [describeCertificates, modifyCertificates];
