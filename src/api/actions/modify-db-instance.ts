import { writeDbInstance } from '../shapes.js';
import { defineAction, readInstanceSettings } from './action.js';

/**
 * ModifyDBInstance: the modifications tlsql supports (password, CA, parameter group, IAM auth,
 * maintenance window) with ApplyImmediately and CertificateRotationRestart, and the members
 * infrastructure-as-code tools send (class, storage, backups, deletion protection, ...; stored
 * at once, docs/iac.md). Others are ignored.
 */
export const modifyDbInstanceAction = defineAction('ModifyDBInstance', async ({ control, params }) => {
  const db = await control.modifyDbInstance({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    masterUserPassword: params.string('MasterUserPassword'),
    caCertificateIdentifier: params.string('CACertificateIdentifier'),
    applyImmediately: params.boolean('ApplyImmediately'),
    dbParameterGroupName: params.string('DBParameterGroupName'),
    enableIAMDatabaseAuthentication: params.boolean('EnableIAMDatabaseAuthentication'),
    preferredMaintenanceWindow: params.string('PreferredMaintenanceWindow'),
    certificateRotationRestart: params.boolean('CertificateRotationRestart'),
    dbSecurityGroups: params.stringList('DBSecurityGroups', 'DBSecurityGroupName'),
    dbInstanceClass: params.string('DBInstanceClass'),
    allocatedStorage: params.integer('AllocatedStorage'),
    settings: readInstanceSettings(params),
  });
  return (w) => writeDbInstance(w, db);
});
