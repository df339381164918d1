import { writeDbInstance } from '../shapes.js';
import { defineAction, readInstanceSettings, readTags } from './action.js';

/**
 * CreateDBInstance. Required: DBInstanceIdentifier and Engine. RDS also requires DBInstanceClass;
 * tlsql does not, because the class is informational here and the control plane has a default
 * (the `tlsql` CLI relies on this; the AWS CLI still insists on it client-side).
 * The members infrastructure-as-code tools send (storage, backups, deletion protection, subnet and
 * option groups, ...) are checked as RDS does and stored (docs/iac.md); others with no tlsql
 * equivalent (VPC security groups, monitoring, ...) are accepted and ignored.
 */
export const createDbInstanceAction = defineAction('CreateDBInstance', async ({ control, params }) => {
  const db = await control.createDbInstance({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    dbInstanceClass: params.string('DBInstanceClass'),
    engine: params.requiredString('Engine'),
    // Empty means absent, as RDS takes it: the Terraform provider sends EngineVersion= and DBName=
    // when its configuration has none (docs/iac.md).
    engineVersion: params.string('EngineVersion') || undefined,
    masterUsername: params.string('MasterUsername'),
    masterUserPassword: params.string('MasterUserPassword'),
    caCertificateIdentifier: params.string('CACertificateIdentifier'),
    port: params.integer('Port'),
    dbName: params.string('DBName') || undefined,
    dbParameterGroupName: params.string('DBParameterGroupName'),
    allocatedStorage: params.integer('AllocatedStorage'),
    enableIAMDatabaseAuthentication: params.boolean('EnableIAMDatabaseAuthentication'),
    preferredMaintenanceWindow: params.string('PreferredMaintenanceWindow'),
    tags: readTags(params),
    dbSecurityGroups: params.stringList('DBSecurityGroups', 'DBSecurityGroupName'),
    settings: readInstanceSettings(params, { storageEncrypted: params.boolean('StorageEncrypted'), licenseModel: params.string('LicenseModel') }),
  });
  return (w) => writeDbInstance(w, db);
});
