import { writeConnections } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * DescribeDBConnections (tlsql's own action): DBInstanceIdentifier (optional: every running
 * instance). Every live session with account, client address, TLS version, cipher, client
 * certificate subject, start time, duration and bytes in/out.
 */
export const describeDbConnectionsAction = defineAction('DescribeDBConnections', async ({ control, params }) => {
  const list = await control.connectionSecurity.describeDbConnections({ dbInstanceIdentifier: params.string('DBInstanceIdentifier') });
  return (w) => writeConnections(w, list);
});
