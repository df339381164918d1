import { readIngress, writeDbSecurityGroup } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * RevokeDBSecurityGroupIngress: DBSecurityGroupName, CIDRIP (IPv4 or IPv6). The EC2SecurityGroup*
 * parameters are refused (tlsql has no EC2). Applies to new connections of every member instance at once.
 */
export const revokeDbSecurityGroupIngressAction = defineAction('RevokeDBSecurityGroupIngress', async ({ control, params }) => {
  const g = await control.connectionSecurity.revokeDbSecurityGroupIngress(readIngress(params));
  return (w) => writeDbSecurityGroup(w, g);
});
