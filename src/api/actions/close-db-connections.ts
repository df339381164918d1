import { writeConnections } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * CloseDBConnections (tlsql's own action): DBInstanceIdentifier, and Transport (`plaintext`,
 * `tls` or `all`) and/or ConnectionIds.member.N. After turning require_secure_transport ON,
 * `Transport=plaintext` ends the plaintext sessions that logged in before. Returns the closed sessions.
 */
export const closeDbConnectionsAction = defineAction('CloseDBConnections', async ({ control, params }) => {
  const closed = await control.connectionSecurity.closeDbConnections({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    transport: params.oneOf('Transport', ['plaintext', 'tls', 'all'] as const),
    connectionIds: params.stringList('ConnectionIds', 'member'),
  });
  return (w) => writeConnections(w, closed);
});
