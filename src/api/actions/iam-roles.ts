/**
 * tlsql's own IAM role and OpenID Connect provider actions (IAM's names, members and codes),
 * served on the RDS endpoint to the root key only, like the user actions (create-user.ts and
 * its siblings). Roles are assumed through STS (src/api/sts.ts); their inline policies are
 * evaluated exactly as users' (src/iam/policy.ts).
 */
import { iamDirectory, writeRole, writeRoleMembers } from '../iam-shapes.js';
import { defineAction, type Action } from './action.js';

/** CreateRole: RoleName, AssumeRolePolicyDocument (trust policy JSON), MaxSessionDuration (3600..43200), Description. */
export const createRoleAction = defineAction('CreateRole', async ({ control, params, principal }) => {
  const maxSessionDuration = params.integer('MaxSessionDuration');
  const description = params.string('Description');
  const r = iamDirectory(control, principal, 'CreateRole').createRole(params.requiredString('RoleName'), params.requiredString('AssumeRolePolicyDocument'), {
    ...(maxSessionDuration !== undefined ? { maxSessionDuration } : {}),
    ...(description !== undefined ? { description } : {}),
  });
  return (w) => writeRole(w, r);
});

export const getRoleAction = defineAction('GetRole', async ({ control, params, principal }) => {
  const r = iamDirectory(control, principal, 'GetRole').getRole(params.requiredString('RoleName'));
  return (w) => writeRole(w, r);
});

export const listRolesAction = defineAction('ListRoles', async ({ control, principal }) => {
  const roles = iamDirectory(control, principal, 'ListRoles').listRoles();
  return (w) => {
    w.list('Roles', 'member', roles, writeRoleMembers);
    w.leaf('IsTruncated', false);
  };
});

/** DeleteRole: DeleteConflict while it has inline policies. Its sessions stop logging in at once. */
export const deleteRoleAction = defineAction('DeleteRole', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'DeleteRole').deleteRole(params.requiredString('RoleName'));
  return null;
});

export const updateAssumeRolePolicyAction = defineAction('UpdateAssumeRolePolicy', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'UpdateAssumeRolePolicy').updateAssumeRolePolicy(params.requiredString('RoleName'), params.requiredString('PolicyDocument'));
  return null;
});

export const putRolePolicyAction = defineAction('PutRolePolicy', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'PutRolePolicy').putRolePolicy(params.requiredString('RoleName'), params.requiredString('PolicyName'), params.requiredString('PolicyDocument'));
  return null;
});

/** GetRolePolicy: PolicyDocument URL-encoded, as IAM returns it. */
export const getRolePolicyAction = defineAction('GetRolePolicy', async ({ control, params, principal }) => {
  const p = iamDirectory(control, principal, 'GetRolePolicy').getRolePolicy(params.requiredString('RoleName'), params.requiredString('PolicyName'));
  return (w) => w.leaf('RoleName', p.roleName).leaf('PolicyName', p.policyName).leaf('PolicyDocument', encodeURIComponent(p.document));
});

export const listRolePoliciesAction = defineAction('ListRolePolicies', async ({ control, params, principal }) => {
  const names = iamDirectory(control, principal, 'ListRolePolicies').listRolePolicies(params.requiredString('RoleName'));
  return (w) => {
    w.scalarList('PolicyNames', 'member', names);
    w.leaf('IsTruncated', false);
  };
});

export const deleteRolePolicyAction = defineAction('DeleteRolePolicy', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'DeleteRolePolicy').deleteRolePolicy(params.requiredString('RoleName'), params.requiredString('PolicyName'));
  return null;
});

/**
 * CreateOpenIDConnectProvider: Url (the issuer), ClientIDList.member.N (audiences), and tlsql's own
 * JwksDocument (the provider's public signing keys as a JWKS: tlsql does not fetch them).
 * ThumbprintList is accepted and ignored, as IAM now does for most providers.
 */
export const createOpenIdConnectProviderAction = defineAction('CreateOpenIDConnectProvider', async ({ control, params, principal }) => {
  const p = iamDirectory(control, principal, 'CreateOpenIDConnectProvider').createOpenIdConnectProvider(
    params.requiredString('Url'),
    params.stringList('ClientIDList', 'member') ?? [],
    params.requiredString('JwksDocument'),
  );
  return (w) => w.leaf('OpenIDConnectProviderArn', p.arn);
});

export const getOpenIdConnectProviderAction = defineAction('GetOpenIDConnectProvider', async ({ control, params, principal }) => {
  const p = iamDirectory(control, principal, 'GetOpenIDConnectProvider').getOpenIdConnectProvider(params.requiredString('OpenIDConnectProviderArn'));
  return (w) => {
    w.leaf('Url', p.url.slice('https://'.length));
    w.scalarList('ClientIDList', 'member', p.clientIds);
    w.scalarList('ThumbprintList', 'member', []);
    w.leaf('CreateDate', p.createdAt);
  };
});

export const listOpenIdConnectProvidersAction = defineAction('ListOpenIDConnectProviders', async ({ control, principal }) => {
  const list = iamDirectory(control, principal, 'ListOpenIDConnectProviders').listOpenIdConnectProviders();
  return (w) => w.list('OpenIDConnectProviderList', 'member', list, (x, p) => x.leaf('Arn', p.arn));
});

export const deleteOpenIdConnectProviderAction = defineAction('DeleteOpenIDConnectProvider', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'DeleteOpenIDConnectProvider').deleteOpenIdConnectProvider(params.requiredString('OpenIDConnectProviderArn'));
  return null;
});

/** Every action of this file, for the registry. */
export const iamRoleActions: readonly Action[] = [
  createRoleAction,
  getRoleAction,
  listRolesAction,
  deleteRoleAction,
  updateAssumeRolePolicyAction,
  putRolePolicyAction,
  getRolePolicyAction,
  listRolePoliciesAction,
  deleteRolePolicyAction,
  createOpenIdConnectProviderAction,
  getOpenIdConnectProviderAction,
  listOpenIdConnectProvidersAction,
  deleteOpenIdConnectProviderAction,
];
