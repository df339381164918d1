/**
 * Registry of the RDS Query API actions tlsql serves, keyed by awsQuery `Action` name.
 * Adding an action: one file exporting `defineAction(...)`, then one line here.
 */
import type { Action } from './action.js';
import { createDbInstanceAction } from './create-db-instance.js';
import { createDbInstanceReadReplicaAction } from './create-db-instance-read-replica.js';
import { createDbParameterGroupAction } from './create-db-parameter-group.js';
import { copyDbParameterGroupAction } from './copy-db-parameter-group.js';
import { deleteDbInstanceAction } from './delete-db-instance.js';
import { deleteDbParameterGroupAction } from './delete-db-parameter-group.js';
import { describeCertificatesAction } from './describe-certificates.js';
import { describeDbEngineVersionsAction } from './describe-db-engine-versions.js';
import { describeDbInstancesAction } from './describe-db-instances.js';
import { describeDbParameterGroupsAction } from './describe-db-parameter-groups.js';
import { describeDbParametersAction } from './describe-db-parameters.js';
import { describeEngineDefaultParametersAction } from './describe-engine-default-parameters.js';
import { describeEventsAction } from './describe-events.js';
import { modifyCertificatesAction } from './modify-certificates.js';
import { modifyDbInstanceAction } from './modify-db-instance.js';
import { modifyDbParameterGroupAction } from './modify-db-parameter-group.js';
import { promoteReadReplicaAction } from './promote-read-replica.js';
import { rebootDbInstanceAction } from './reboot-db-instance.js';
import { resetDbParameterGroupAction } from './reset-db-parameter-group.js';
import { startDbInstanceAction } from './start-db-instance.js';
import { stopDbInstanceAction } from './stop-db-instance.js';
import { applyPendingMaintenanceActionAction } from './apply-pending-maintenance-action.js';
import { describePendingMaintenanceActionsAction } from './describe-pending-maintenance-actions.js';
import { authorizeDbSecurityGroupIngressAction } from './authorize-db-security-group-ingress.js';
import { closeDbConnectionsAction } from './close-db-connections.js';
import { createDbSecurityGroupAction } from './create-db-security-group.js';
import { deleteDbSecurityGroupAction } from './delete-db-security-group.js';
import { describeClientCertificateAuthoritiesAction } from './describe-client-certificate-authorities.js';
import { describeDbConnectionsAction } from './describe-db-connections.js';
import { describeDbSecurityGroupsAction } from './describe-db-security-groups.js';
import { importClientCertificateAuthorityAction } from './import-client-certificate-authority.js';
import { issueClientCertificateAction } from './issue-client-certificate.js';
import { revokeClientCertificateAction } from './revoke-client-certificate.js';
import { describeClientCertificatesAction } from './describe-client-certificates.js';
import { importClientCrlAction } from './import-client-crl.js';
import { removeClientCertificateAuthorityAction } from './remove-client-certificate-authority.js';
import { revokeDbSecurityGroupIngressAction } from './revoke-db-security-group-ingress.js';
import { createUserAction } from './create-user.js';
import { getUserAction } from './get-user.js';
import { listUsersAction } from './list-users.js';
import { deleteUserAction } from './delete-user.js';
import { createAccessKeyAction } from './create-access-key.js';
import { listAccessKeysAction } from './list-access-keys.js';
import { updateAccessKeyAction } from './update-access-key.js';
import { deleteAccessKeyAction } from './delete-access-key.js';
import { putUserPolicyAction } from './put-user-policy.js';
import { getUserPolicyAction } from './get-user-policy.js';
import { listUserPoliciesAction } from './list-user-policies.js';
import { deleteUserPolicyAction } from './delete-user-policy.js';
import { addTagsToResourceAction } from './add-tags-to-resource.js';
import { listTagsForResourceAction } from './list-tags-for-resource.js';
import { removeTagsFromResourceAction } from './remove-tags-from-resource.js';
import { iamRoleActions } from './iam-roles.js';
import { describeOrderableDbInstanceOptionsAction } from './describe-orderable-db-instance-options.js';
import { createDbSubnetGroupAction } from './create-db-subnet-group.js';
import { describeDbSubnetGroupsAction } from './describe-db-subnet-groups.js';
import { deleteDbSubnetGroupAction } from './delete-db-subnet-group.js';
import { modifyDbSubnetGroupAction } from './modify-db-subnet-group.js';
import { describeOptionGroupsAction } from './describe-option-groups.js';
import { describeAccountAttributesAction } from './describe-account-attributes.js';
import { describeDbInstanceAutomatedBackupsAction } from './describe-db-instance-automated-backups.js';
import { describeDbSnapshotsAction } from './describe-db-snapshots.js';

export type { Action, ActionContext, ResultWriter } from './action.js';

const all: readonly Action[] = [
  createDbInstanceAction,
  describeDbInstancesAction,
  modifyDbInstanceAction,
  deleteDbInstanceAction,
  rebootDbInstanceAction,
  createDbInstanceReadReplicaAction,
  promoteReadReplicaAction,
  stopDbInstanceAction,
  startDbInstanceAction,
  describeCertificatesAction,
  modifyCertificatesAction,
  describeDbEngineVersionsAction,
  createDbParameterGroupAction,
  describeDbParameterGroupsAction,
  deleteDbParameterGroupAction,
  modifyDbParameterGroupAction,
  resetDbParameterGroupAction,
  describeDbParametersAction,
  copyDbParameterGroupAction,
  describeEngineDefaultParametersAction,
  describeEventsAction,
  // Certificate rotation: pending maintenance (ca-certificate-rotation).
  describePendingMaintenanceActionsAction,
  applyPendingMaintenanceActionAction,
  // Connection security: DB security groups (RDS), then tlsql's own actions.
  createDbSecurityGroupAction,
  describeDbSecurityGroupsAction,
  deleteDbSecurityGroupAction,
  addTagsToResourceAction,
  listTagsForResourceAction,
  removeTagsFromResourceAction,
  authorizeDbSecurityGroupIngressAction,
  revokeDbSecurityGroupIngressAction,
  describeDbConnectionsAction,
  closeDbConnectionsAction,
  issueClientCertificateAction,
  revokeClientCertificateAction,
  describeClientCertificatesAction,
  importClientCrlAction,
  importClientCertificateAuthorityAction,
  removeClientCertificateAuthorityAction,
  describeClientCertificateAuthoritiesAction,
  // IAM database authentication: IAM users, access keys and policies (tlsql's own, IAM's names).
  createUserAction,
  getUserAction,
  listUsersAction,
  deleteUserAction,
  createAccessKeyAction,
  listAccessKeysAction,
  updateAccessKeyAction,
  deleteAccessKeyAction,
  putUserPolicyAction,
  getUserPolicyAction,
  listUserPoliciesAction,
  deleteUserPolicyAction,
  // IAM roles and OpenID Connect providers, assumed through STS (src/api/sts.ts).
  ...iamRoleActions,
  // What infrastructure-as-code tools read around an instance (docs/iac.md).
  describeOrderableDbInstanceOptionsAction,
  createDbSubnetGroupAction,
  describeDbSubnetGroupsAction,
  deleteDbSubnetGroupAction,
  modifyDbSubnetGroupAction,
  describeOptionGroupsAction,
  describeAccountAttributesAction,
  describeDbInstanceAutomatedBackupsAction,
  describeDbSnapshotsAction,
];

/** Action name -> implementation. Frozen; a Map so `Action=constructor` finds nothing. */
export const actions: ReadonlyMap<string, Action> = new Map(all.map((a) => [a.name, a]));
