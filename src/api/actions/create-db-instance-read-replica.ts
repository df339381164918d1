import { writeDbInstance } from '../shapes.js';
import { defineAction, readInstanceSettings, readTags } from './action.js';

/**
 * CreateDBInstanceReadReplica: DBInstanceIdentifier, SourceDBInstanceIdentifier (identifier or
 * ARN), DBInstanceClass, Port, CACertificateIdentifier, DBParameterGroupName,
 * EnableIAMDatabaseAuthentication, Tags and the settings IaC tools send.
 * Engine, version and master user come from the source (docs/replication.md).
 */
export const createDbInstanceReadReplicaAction = defineAction('CreateDBInstanceReadReplica', async ({ control, params }) => {
  const db = await control.createDbInstanceReadReplica({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    sourceDbInstanceIdentifier: params.requiredString('SourceDBInstanceIdentifier'),
    dbInstanceClass: params.string('DBInstanceClass'),
    caCertificateIdentifier: params.string('CACertificateIdentifier'),
    port: params.integer('Port'),
    dbParameterGroupName: params.string('DBParameterGroupName'),
    enableIAMDatabaseAuthentication: params.boolean('EnableIAMDatabaseAuthentication'),
    tags: readTags(params),
    settings: readInstanceSettings(params, { storageEncrypted: params.boolean('StorageEncrypted') }),
  });
  return (w) => writeDbInstance(w, db);
});
