/**
 * `status` / `\s`: the connection as the MySQL monitor shows it, plus what matters for tlsql:
 * the TLS version and cipher in use (as this client negotiated them, and as the server reports
 * them), the server's certificate, and whether and how the server's identity was verified.
 */

import type mysql from 'mysql2/promise';
import type { OpenConnection } from './connect.js';
import type { MysqlClientOptions } from './options.js';

/** Runs `sql` and returns every value as text (the connection has typeCast off). */
export async function queryText(conn: mysql.Connection, sql: string): Promise<(string | null)[][]> {
  const [rows] = await conn.query({ sql, rowsAsArray: true });
  return (rows as unknown as (Buffer | string | number | null)[][]).map((r) => r.map((v) => (v === null ? null : Buffer.isBuffer(v) ? v.toString('utf8') : String(v))));
}

function uptime(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return [d ? `${d} day${d === 1 ? '' : 's'}` : '', h ? `${h} hour${h === 1 ? '' : 's'}` : '', m ? `${m} min` : '', `${s} sec`].filter(Boolean).join(' ');
}

/** The `status` block. `version` is tlsql's version; `delimiter` the one in use. */
export async function statusText(c: OpenConnection, o: MysqlClientOptions, meta: { version: string; delimiter: string }): Promise<string> {
  const [info] = await queryText(
    c.conn,
    'SELECT CONNECTION_ID(), DATABASE(), USER(), @@version, @@version_comment, @@character_set_server, @@character_set_database, @@character_set_client, @@character_set_connection, @@protocol_version',
  );
  const vars = new Map((await queryText(c.conn, "SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime','Threads_connected','Questions','Slow_queries','Opened_tables','Open_tables')")).map((r) => [r[0] as string, r[1] ?? '']));
  const ssl = new Map((await queryText(c.conn, "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version','Ssl_cipher')")).map((r) => [r[0] as string, r[1] ?? '']));
  const v = (i: number) => info?.[i] ?? '';
  const row = (k: string, val: string) => `${k.padEnd(24)}${val}`;
  const lines = [
    '--------------',
    `tlsql mysql  Ver ${meta.version} (MySQL-compatible client on mysql2)`,
    '',
    row('Connection id:', v(0)),
    row('Current database:', v(1)),
    row('Current user:', v(2)),
  ];
  if (c.tls !== undefined) {
    lines.push(row('SSL:', `Cipher in use is ${c.tls.cipher}, TLS version ${c.tls.protocol}`));
    if (ssl.get('Ssl_version')) lines.push(row('Server sees:', `${ssl.get('Ssl_version')}, ${ssl.get('Ssl_cipher')}`));
    const leaf = c.tls.chain[0];
    if (leaf !== undefined) {
      lines.push(row('Server certificate:', `${leaf.subject} (${leaf.altNames.join(', ') || 'no SAN'}), issued by ${leaf.issuer}, valid until ${leaf.validTo.toISOString().slice(0, 10)}`));
    }
  } else {
    lines.push(row('SSL:', 'Not in use'));
  }
  lines.push(row('Server identity:', c.identity.summary));
  lines.push(row('SSL mode:', c.identity.mode));
  lines.push(
    row('Using delimiter:', meta.delimiter),
    row('Server version:', `${v(3)} ${v(4)}`.trim()),
    row('Protocol version:', v(9) || String(c.greeting.protocolVersion)),
    row('Connection:', `${o.host} via TCP/IP`),
    row('Server characterset:', v(5)),
    row('Db     characterset:', v(6)),
    row('Client characterset:', v(7)),
    row('Conn.  characterset:', v(8)),
    row('TCP port:', String(o.port)),
    row('Uptime:', uptime(Number(vars.get('Uptime') ?? 0))),
    '',
    `Threads: ${vars.get('Threads_connected') ?? '?'}  Questions: ${vars.get('Questions') ?? '?'}  Slow queries: ${vars.get('Slow_queries') ?? '?'}  Opens: ${vars.get('Opened_tables') ?? '?'}  Open tables: ${vars.get('Open_tables') ?? '?'}`,
    '--------------',
    '',
  );
  return lines.join('\n');
}
