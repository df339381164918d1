/**
 * Domain (camelCase) -> RDS wire (PascalCase XML) for the structures several actions return.
 * Member and list-member element names follow the Smithy model shipped in
 * `@aws-sdk/client-rds` (e.g. `DBInstanceList` members are `<DBInstance>`, `TagList` members
 * `<Tag>`, `DBParameterGroupStatusList` members `<DBParameterGroup>`, plain string lists
 * such as `SupportedCACertificateIdentifiers` use the protocol default `<member>`).
 *
 * Fields tlsql has no concept of are written with the values a single-AZ, unencrypted,
 * private gp2 RDS for MariaDB instance reports, so SDK shapes are complete.
 */
import type { CaCertificate } from '../model/ca-certificate.js';
import type { DbEvent } from '../model/db-event.js';
import { otherSlot, zoneOf, type DbInstance, type InstanceStatusInfo } from '../model/db-instance.js';
import type { DbParameterGroup } from '../model/db-parameter-group.js';
import type { EngineVersion } from '../model/engine-version.js';
import type { DbSubnetGroup, OptionGroup, OrderableDbInstanceOption } from '../model/infrastructure.js';
import type { Parameter } from '../model/parameter.js';
import type { Tag } from '../model/tag.js';
import type { XmlWriter } from './xml.js';

/** `<TagList><Tag><Key/><Value/></Tag>...</TagList>`. */
export function writeTagList(w: XmlWriter, tags: readonly Tag[]): void {
  w.list('TagList', 'Tag', tags, (t, tag) => t.leaf('Key', tag.key).leaf('Value', tag.value));
}

/** The members of a `DBInstance` structure (the caller writes the enclosing element). */
export function writeDbInstanceMembers(w: XmlWriter, db: DbInstance): void {
  w.leaf('DBInstanceIdentifier', db.id)
    .leaf('DBInstanceClass', db.instanceClass)
    .leaf('Engine', db.engine)
    .leaf('DBInstanceStatus', db.status)
    .leaf('MasterUsername', db.masterUsername)
    .leaf('DBName', db.dbName);
  if (db.endpoint) {
    w.element('Endpoint', (e) => e.leaf('Address', db.endpoint.address).leaf('Port', db.endpoint.port).leaf('HostedZoneId', db.endpoint.hostedZoneId));
  }
  w.leaf('AllocatedStorage', db.allocatedStorageGiB)
    .leaf('InstanceCreateTime', db.createdAt)
    .leaf('PreferredBackupWindow', db.preferredBackupWindow)
    .leaf('BackupRetentionPeriod', db.backupRetentionPeriod)
    .list('DBSecurityGroups', 'DBSecurityGroup', db.dbSecurityGroups ?? [], (g, name) => g.leaf('DBSecurityGroupName', name).leaf('Status', 'active'))
    .list('VpcSecurityGroups', 'VpcSecurityGroupMembership', [], () => {})
    .list('DBParameterGroups', 'DBParameterGroup', [db.parameterGroup], (g, pg) =>
      g.leaf('DBParameterGroupName', pg.name).leaf('ParameterApplyStatus', pg.applyStatus),
    )
    .element('DBSubnetGroup', (g) => writeDbSubnetGroupMembers(g, db.dbSubnetGroup ?? DEFAULT_SUBNET_GROUP_SHAPE(db.arn)))
    .leaf('PreferredMaintenanceWindow', db.preferredMaintenanceWindow);

  const pending = db.pendingModifiedValues;
  w.element('PendingModifiedValues', (p) => {
    p.leaf('CACertificateIdentifier', pending.caCertificateIdentifier);
    // RDS never reveals a pending password, only that one is pending.
    if (pending.masterUserPassword) p.leaf('MasterUserPassword', '****');
    p.leaf('MultiAZ', pending.multiAZ);
    // The model's PendingModifiedValues has no parameter-group member: RDS shows a pending group
    // change through DBParameterGroups[].ParameterApplyStatus, which the domain already carries.
  });

  w.leaf('AvailabilityZone', zoneOf(db.region, db.primarySlot ?? 'a'))
    .leaf('MultiAZ', db.multiAz !== undefined)
    .leaf('SecondaryAvailabilityZone', db.multiAz ? zoneOf(db.region, otherSlot(db.primarySlot ?? 'a')) : undefined)
    .leaf('EngineVersion', db.engineVersion)
    .leaf('AutoMinorVersionUpgrade', db.autoMinorVersionUpgrade ?? true)
    .leaf('ReadReplicaSourceDBInstanceIdentifier', db.readReplicaSourceId)
    .scalarList('ReadReplicaDBInstanceIdentifiers', 'ReadReplicaDBInstanceIdentifier', db.live?.readReplicaIds ?? [])
    .scalarList('ReadReplicaDBClusterIdentifiers', 'ReadReplicaDBClusterIdentifier', [])
    .leaf('LicenseModel', 'general-public-license')
    .list('OptionGroupMemberships', 'OptionGroupMembership', [db.optionGroupName ?? defaultOptionGroupName(db.engineVersion)], (g, name) => g.leaf('OptionGroupName', name).leaf('Status', 'in-sync'))
    .leaf('PubliclyAccessible', db.publiclyAccessible ?? false)
    .leaf('StorageType', db.storageType ?? 'gp2')
    .leaf('DbInstancePort', 0)
    .leaf('StorageEncrypted', db.storageEncrypted ?? false)
    // RDS reports read-replication health here; tlsql adds its TLS policy warning, which the
    // SDK and AWS CLI show as is (StatusType/Normal/Status/Message).
    .list('StatusInfos', 'DBInstanceStatusInfo', statusInfos(db), (i, info) =>
      i.leaf('StatusType', info.statusType).leaf('Normal', info.normal).leaf('Status', info.status).leaf('Message', info.message),
    )
    .leaf('DbiResourceId', db.resourceId)
    .leaf('CACertificateIdentifier', db.caCertificateIdentifier)
    .list('DomainMemberships', 'DomainMembership', [], () => {})
    .leaf('CopyTagsToSnapshot', db.copyTagsToSnapshot ?? false)
    .leaf('MonitoringInterval', 0)
    .leaf('DBInstanceArn', db.arn)
    .leaf('IAMDatabaseAuthenticationEnabled', db.iamDatabaseAuthenticationEnabled)
    .leaf('PerformanceInsightsEnabled', false)
    .leaf('DeletionProtection', db.deletionProtection ?? false)
    .list('AssociatedRoles', 'DBInstanceRole', [], () => {})
    .leaf('MaxAllocatedStorage', db.maxAllocatedStorageGiB);
  writeTagList(w, db.tags);
  w.leaf('CustomerOwnedIpEnabled', false).leaf('NetworkType', 'IPV4').leaf('BackupTarget', 'region');
  if (db.certificate) {
    const cert = db.certificate;
    w.element('CertificateDetails', (c) => c.leaf('CAIdentifier', cert.caIdentifier).leaf('ValidTill', cert.validTill));
  }
  w.leaf('DedicatedLogVolume', false);
}

/** StatusInfos: replication health (derived when described), then the TLS policy warning; absent when there is none. */
function statusInfos(db: DbInstance): InstanceStatusInfo[] | undefined {
  const infos = [...(db.live?.statusInfos ?? [])];
  if (db.insecureTlsAllowed) {
    infos.push({
      statusType: 'tls-policy',
      normal: false,
      status: 'insecure-tls-versions',
      message: 'tls_version allows TLSv1.0/TLSv1.1 (OpenSSL security level 0) for legacy clients: insecure, upgrade the clients and remove them',
    });
  }
  return infos.length ? infos : undefined;
}

/** `default:mariadb-10-11` for 10.11.x: RDS's default option group of the engine's major version. */
export function defaultOptionGroupName(engineVersion: string): string {
  return `default:mariadb-${majorVersion(engineVersion).replace('.', '-')}`;
}

/** The `default` DB subnet group, for instances stored before subnet groups existed; its ARN from the instance's. */
function DEFAULT_SUBNET_GROUP_SHAPE(instanceArn: string): DbSubnetGroup {
  return { name: 'default', description: 'default', arn: instanceArn.replace(/:db:[^:]+$/, ':subgrp:default'), subnetIds: [] };
}

/**
 * The members of a `DBSubnetGroup` structure. tlsql has no VPC: no `VpcId`, and subnets carry no
 * availability zone (docs/iac.md).
 */
export function writeDbSubnetGroupMembers(w: XmlWriter, g: DbSubnetGroup): void {
  w.leaf('DBSubnetGroupName', g.name)
    .leaf('DBSubnetGroupDescription', g.description)
    .leaf('SubnetGroupStatus', 'Complete')
    .list('Subnets', 'Subnet', g.subnetIds, (x, id) => x.leaf('SubnetIdentifier', id).leaf('SubnetStatus', 'Active'))
    .leaf('DBSubnetGroupArn', g.arn)
    .scalarList('SupportedNetworkTypes', 'member', ['IPV4']);
}

/** The members of an `OptionGroup` structure (the default group: no options). */
export function writeOptionGroupMembers(w: XmlWriter, g: OptionGroup): void {
  w.leaf('OptionGroupName', g.name)
    .leaf('OptionGroupDescription', g.description)
    .leaf('EngineName', g.engineName)
    .leaf('MajorEngineVersion', g.majorEngineVersion)
    .list('Options', 'Option', [], () => {})
    .leaf('AllowsVpcAndNonVpcInstanceMemberships', true)
    .leaf('OptionGroupArn', g.arn);
}

/** The members of an `OrderableDBInstanceOption` structure: what tlsql offers and supports. */
export function writeOrderableOptionMembers(w: XmlWriter, o: OrderableDbInstanceOption): void {
  w.leaf('Engine', o.engine)
    .leaf('EngineVersion', o.engineVersion)
    .leaf('DBInstanceClass', o.dbInstanceClass)
    .leaf('LicenseModel', o.licenseModel)
    .list('AvailabilityZones', 'AvailabilityZone', [], () => {})
    .leaf('MultiAZCapable', true)
    .leaf('ReadReplicaCapable', true)
    .leaf('Vpc', true)
    .leaf('SupportsStorageEncryption', false)
    .leaf('StorageType', o.storageType)
    .leaf('SupportsIops', false)
    .leaf('SupportsStorageThroughput', false)
    .leaf('SupportsEnhancedMonitoring', false)
    .leaf('SupportsIAMDatabaseAuthentication', true)
    .leaf('SupportsPerformanceInsights', false)
    .leaf('MinStorageSize', o.minStorageSize)
    .leaf('MaxStorageSize', o.maxStorageSize)
    .scalarList('SupportedEngineModes', 'member', ['provisioned'])
    .leaf('SupportsStorageAutoscaling', true)
    .leaf('SupportsKerberosAuthentication', false)
    .leaf('OutpostCapable', false)
    .leaf('SupportsGlobalDatabases', false)
    .scalarList('SupportedNetworkTypes', 'member', ['IPV4'])
    .leaf('SupportsClusters', false)
    .leaf('SupportsDedicatedLogVolume', false);
}

/** `<DBInstance>...</DBInstance>` as a single result member (Create/Modify/Delete/...). */
export function writeDbInstance(w: XmlWriter, db: DbInstance): void {
  w.element('DBInstance', (x) => writeDbInstanceMembers(x, db));
}

/** The members of a `Certificate` structure. */
export function writeCertificateMembers(w: XmlWriter, c: CaCertificate): void {
  w.leaf('CertificateIdentifier', c.certificateIdentifier)
    .leaf('CertificateType', c.certificateType)
    .leaf('Thumbprint', c.thumbprint)
    .leaf('ValidFrom', c.validFrom)
    .leaf('ValidTill', c.validTill)
    .leaf('CertificateArn', c.certificateArn)
    .leaf('CustomerOverride', c.customerOverride)
    .leaf('CustomerOverrideValidTill', c.customerOverrideValidTill);
}

/** The members of a `DBParameterGroup` structure. */
export function writeDbParameterGroupMembers(w: XmlWriter, g: DbParameterGroup): void {
  w.leaf('DBParameterGroupName', g.name).leaf('DBParameterGroupFamily', g.family).leaf('Description', g.description).leaf('DBParameterGroupArn', g.arn);
}

/** The members of a `Parameter` structure. A null value omits `ParameterValue`, as RDS does. */
export function writeParameterMembers(w: XmlWriter, p: Parameter): void {
  w.leaf('ParameterName', p.name)
    .leaf('ParameterValue', p.value)
    .leaf('Description', p.description)
    .leaf('Source', p.source)
    .leaf('ApplyType', p.applyType)
    .leaf('DataType', p.dataType)
    .leaf('AllowedValues', p.allowedValues === '' ? undefined : p.allowedValues)
    .leaf('IsModifiable', p.isModifiable)
    .leaf('MinimumEngineVersion', p.minimumEngineVersion)
    .leaf('ApplyMethod', p.applyMethod);
}

/** `10.11.9` -> `10.11`: MariaDB major versions are the first two components. */
function majorVersion(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** The members of a `DBEngineVersion` structure. */
export function writeEngineVersionMembers(w: XmlWriter, v: EngineVersion): void {
  w.leaf('Engine', v.engine)
    .leaf('MajorEngineVersion', majorVersion(v.engineVersion))
    .leaf('EngineVersion', v.engineVersion)
    .leaf('DBParameterGroupFamily', v.dbParameterGroupFamily)
    .leaf('DBEngineDescription', v.dbEngineDescription)
    .leaf('DBEngineVersionDescription', v.dbEngineVersionDescription)
    .leaf('Status', 'available')
    .leaf('SupportsReadReplica', false)
    .leaf('SupportsCertificateRotationWithoutRestart', v.supportsCertificateRotationWithoutRestart)
    .scalarList('SupportedCACertificateIdentifiers', 'member', v.supportedCACertificateIdentifiers);
}

/** The members of an `Event` structure. */
export function writeEventMembers(w: XmlWriter, e: DbEvent): void {
  w.leaf('SourceIdentifier', e.sourceIdentifier)
    .leaf('SourceType', e.sourceType)
    .leaf('Message', e.message)
    .scalarList('EventCategories', 'EventCategory', e.eventCategories)
    .leaf('Date', e.date)
    .leaf('SourceArn', e.sourceArn);
}
