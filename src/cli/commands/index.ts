import type { CommandDef, CommandRegistry } from '../registry.js';
import { certificateCommands } from './certificates.js';
import { connectionSecurityCommands } from './connection-security.js';
import { consoleCommand } from './console.js';
import { credentialsCommand } from './credentials.js';
import { dbInstanceCommands } from './db-instances.js';
import { dbSecurityGroupCommands } from './db-security-groups.js';
import { downloadBundle } from './download-bundle.js';
import { engineVersionCommands } from './engine-versions.js';
import { eventCommands } from './events.js';
import { maintenanceCommands } from './maintenance.js';
import { iamCommands } from './iam.js';
import { infrastructureCommands } from './infrastructure.js';
import { parameterGroupCommands } from './parameter-groups.js';
import { describeServedCertificateChain } from './served-chain.js';
import { tagCommands } from './tags.js';

/** Every command this module set provides: the `aws rds` mirror, download-bundle, credentials. */
export const builtinCommands: readonly CommandDef[] = [
  ...dbInstanceCommands,
  ...certificateCommands,
  ...engineVersionCommands,
  ...parameterGroupCommands,
  ...eventCommands,
  ...maintenanceCommands,
  ...dbSecurityGroupCommands,
  ...tagCommands,
  ...infrastructureCommands,
  ...connectionSecurityCommands,
  ...iamCommands,
  downloadBundle,
  credentialsCommand,
  consoleCommand,
  describeServedCertificateChain,
];

/** Adds the built-in commands to `registry` (idempotent). */
export function registerBuiltinCommands(registry: CommandRegistry): void {
  for (const c of builtinCommands) registry.register(c);
  const waits = dbInstanceCommands.filter((c) => c.name.startsWith('wait ')).map((c) => c.name.slice(5));
  registry.describeGroup('wait', `Waits until DB instances reach a state: ${waits.join(', ')}.`);
  registry.describeGroup('iam', 'IAM users, access keys, roles, OpenID Connect providers and rds-db:connect policies for IAM database authentication.');
}
