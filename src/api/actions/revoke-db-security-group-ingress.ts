import { connectionSecurity, writeDbSecurityGroup } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * RevokeDBSecurityGroupIngress: DBSecurityGroupName, CIDRIP (IPv4 or IPv6). The EC2SecurityGroup*
 * parameters are refused (tlsql has no EC2). Applies to new connections of every member instance at once.
 */
export const revokeDbSecurityGroupIngressAction = defineAction('RevokeDBSecurityGroupIngress', async ({ control, params }) => {
  const g = await connectionSecurity(control, 'RevokeDBSecurityGroupIngress').revokeDbSecurityGroupIngress({
    name: params.requiredString('DBSecurityGroupName'),
    cidrIp: params.string('CIDRIP'),
    ec2SecurityGroupName: params.string('EC2SecurityGroupName'),
    ec2SecurityGroupId: params.string('EC2SecurityGroupId'),
    ec2SecurityGroupOwnerId: params.string('EC2SecurityGroupOwnerId'),
  });
  return (w) => writeDbSecurityGroup(w, g);
});
