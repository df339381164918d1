/**
 * `tlsql mysql`: the MySQL-compatible client (src/client/). It takes the MySQL 8 client's
 * command line (`-h host -P 3306 -u admin -p --ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem`),
 * so it parses its own arguments. tlsql never installs it as the system's `mysql`.
 */

import { defineRawCommand } from '../registry.js';

export const mysqlCommand = defineRawCommand({
  name: 'mysql',
  summary: 'MySQL-compatible client with MySQL 8 --ssl-mode semantics (tlsql mysql -h <endpoint> --ssl-ca=global-bundle.pem --ssl-mode=VERIFY_IDENTITY -u admin -p).',
  description:
    'usage: tlsql mysql [OPTIONS] [database]. ' +
    "A MySQL-compatible command-line client that accepts the MySQL 8 client's options: -h/--host, -P/--port, " +
    '-u/--user, -p/--password (bare -p asks without echo), -D/--database, -e/--execute, -B/--batch, ' +
    '-N/--skip-column-names, -t/--table, -E/--vertical, --ssl-mode=DISABLED|PREFERRED|REQUIRED|VERIFY_CA|VERIFY_IDENTITY ' +
    '(PREFERRED by default; VERIFY_CA when --ssl-ca is given without --ssl-mode), --ssl-ca, --ssl-capath, --ssl-cert, ' +
    '--ssl-key, --tls-version, --enable-cleartext-plugin (IAM tokens). Interactive mode has the mysql> prompt, ' +
    "multi-line statements, \\G, status (TLS version, cipher, how the server's identity was verified), history " +
    '($MYSQL_HISTFILE or ~/.tlsql_mysql_history) and Ctrl-C to cancel. Run `tlsql mysql --help` for every option. ' +
    'tlsql global options go before the command name: `tlsql --data-dir D mysql ...`.',
  async run(ctx, args) {
    const { runMysqlClient } = await import('../../client/mysql-client.js');
    return runMysqlClient(args.argv, ctx.io, { dataDir: ctx.globals.dataDir });
  },
});
