import { readIngress, writeDbSecurityGroup } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * AuthorizeDBSecurityGroupIngress: DBSecurityGroupName, CIDRIP (IPv4 or IPv6). The EC2SecurityGroup*
 * parameters are refused (tlsql has no EC2). Applies to new connections of every member instance at once.
 */
export const authorizeDbSecurityGroupIngressAction = defineAction('AuthorizeDBSecurityGroupIngress', async ({ control, params }) => {
  const g = await control.connectionSecurity.authorizeDbSecurityGroupIngress(readIngress(params));
  return (w) => writeDbSecurityGroup(w, g);
});
