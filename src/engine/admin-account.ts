import { encodeProxyV2 } from '../protocol/proxy-v2.js';

/**
 * The internal admin account and how tlsql reaches it.
 *
 * Why not `'tlsql_admin'@'localhost'`: MariaDB 10.11 keeps host = `localhost` for a unix-socket
 * connection that sent a PROXY header when skip-name-resolve is on (thd_set_peer_addr() replaces
 * only the IP), so every front-door session, whatever client address it carries, matches
 * `localhost` accounts (measured: a header claiming 10.0.0.1 logged in as tlsql_admin@localhost).
 * Nor unix_socket: behind the front door the socket peer is the tlsql process, so it would let any
 * client in as the OS user tlsql runs as (measured with root); the plugin is switched off instead.
 *
 * So the account's host is an address no TCP peer can have: the limited broadcast address.
 * Account hosts match the client's host name *or* IP; a front-door session has the client's real
 * IP, a plain socket session has no IP at all, and only a session whose PROXY header claims
 * 255.255.255.255 (written by tlsql itself, see `ADMIN_PROXY_HEADER`) can match.
 */
export const ADMIN_USER = 'tlsql_admin';
export const ADMIN_HOST = '255.255.255.255';

/**
 * PROXY protocol v2 header claiming TCP over IPv4 from 255.255.255.255:0, written first on every
 * admin connection. The front door never sends this source address: it always writes the accepted
 * socket's real peer address.
 */
export const ADMIN_PROXY_HEADER: Buffer = encodeProxyV2({ sourceAddress: ADMIN_HOST, sourcePort: 0, destAddress: ADMIN_HOST, destPort: 0 });
