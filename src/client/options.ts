/**
 * The command line of `tlsql mysql`, read the way the MySQL 8 client (my_getopt) reads it:
 * `-hhost` and `-h host`, bundled flags (`-BNe "sql"`), `--name=value` and `--name value`,
 * unique prefixes of long names (`--pass=...`), `_` and `-` alike, `--skip-`/`--enable-`/
 * `--disable-` for booleans, `-p` whose value must be attached (`-p secret` prompts and names
 * database `secret`), and the first positional argument as the database.
 *
 * Option files (~/.my.cnf) are not read: on Debian they belong to MariaDB's client, whose options
 * differ. tlsql's own global options (`--data-dir`, `--debug`) are accepted anywhere.
 */

import { ClientUsageError } from './errors.js';
import { SSL_MODES, type SslMode, type SslOptions } from './ssl-mode.js';

/** Where the password comes from. */
export type PasswordSource =
  /** No password option: log in without a password. */
  | { kind: 'none' }
  /** `-p` / `--password` without a value: ask on the terminal without echo. */
  | { kind: 'prompt' }
  | { kind: 'given'; value: string };

/** Everything `tlsql mysql` was asked to do. Defaults follow the MySQL 8 client. */
export interface MysqlClientOptions {
  /** Default `localhost` (always TCP: tlsql endpoints have no local socket), or $MYSQL_HOST. */
  host: string;
  /** Default 3306, or $MYSQL_TCP_PORT. */
  port: number;
  /** Default: the OS login name ($USER). */
  user: string;
  password: PasswordSource;
  database: string | undefined;
  /** `-e`: statements to run, then exit (batch mode). */
  execute: string | undefined;
  /** `-B`: tab-separated output, one row per line, no history. */
  batch: boolean;
  /** `-N`: no header row. */
  skipColumnNames: boolean;
  /** `-t`: bordered tables even in batch mode. */
  table: boolean;
  /** `-E`: every result printed vertically, one line per column. */
  vertical: boolean;
  /** `-r`: no escaping of special characters in batch output. */
  raw: boolean;
  /** `-s`, repeatable: fewer messages. */
  silent: number;
  /** `-f`: go on after an error in batch mode. */
  force: boolean;
  /** `--binary-as-hex`: binary strings printed as 0x...; undefined means "on in interactive mode" (MySQL 8.0.19+). */
  binaryAsHex: boolean | undefined;
  /** `--show-warnings`: print warnings after each statement. */
  showWarnings: boolean;
  /** `--delimiter`: statement delimiter, default `;`. */
  delimiter: string;
  ssl: SslOptions;
  /** `--enable-cleartext-plugin`: allow mysql_clear_password (needed for IAM tokens). */
  enableCleartextPlugin: boolean;
  /** `--connect-timeout`, seconds. Default 10. */
  connectTimeoutSec: number;
  /** `--init-command`: a statement run right after connecting. */
  initCommand: string | undefined;
  /** `--default-character-set`. Default utf8mb4. */
  defaultCharacterSet: string;
  /** `--prompt`. Default `mysql> `. */
  prompt: string;
  /** `--histignore`: colon-separated glob patterns of statements kept out of the history. */
  histignore: string | undefined;
  help: boolean;
  version: boolean;
  /** tlsql global options, accepted here too. */
  tlsql: { dataDir: string | undefined; debug: boolean };
  /** Messages the MySQL client would print to stderr about the options (e.g. ssl-ca ignored). */
  warnings: string[];
}

type Kind = 'string' | 'int' | 'bool' | 'optional-string';

interface OptionDef {
  /** Long name with dashes. */
  name: string;
  short?: string;
  kind: Kind;
  /** One line for `--help`. */
  help: string;
  apply(o: MysqlClientOptions, value: string | boolean | undefined): void;
}

const truthy = /^(1|on|true|yes)$/i;
const falsy = /^(0|off|false|no)$/i;

function toInt(name: string, v: string): number {
  if (!/^\d+$/.test(v)) throw new ClientUsageError(`Incorrect integer value: '${v}' for option '${name}'`);
  return Number(v);
}

/** Every option `tlsql mysql` understands, in `--help` order. */
export const MYSQL_OPTIONS: readonly OptionDef[] = [
  { name: 'help', short: '?', kind: 'bool', help: 'Display this help and exit.', apply: (o, v) => (o.help = v === true) },
  { name: 'host', short: 'h', kind: 'string', help: 'Connect to host (a tlsql endpoint, e.g. db1.xxxxxxxxxxxx.us-east-1.tlsql.localhost).', apply: (o, v) => (o.host = String(v)) },
  { name: 'port', short: 'P', kind: 'int', help: 'Port number to use for connection (default 3306).', apply: (o, v) => (o.port = toInt('port', String(v))) },
  { name: 'user', short: 'u', kind: 'string', help: 'User for login if not current user.', apply: (o, v) => (o.user = String(v)) },
  {
    name: 'password',
    short: 'p',
    kind: 'optional-string',
    help: "Password to use when connecting to server. If password is not given it's asked from the terminal (without echo).",
    apply: (o, v) => (o.password = v === undefined ? { kind: 'prompt' } : { kind: 'given', value: String(v) }),
  },
  { name: 'database', short: 'D', kind: 'string', help: 'Database to use.', apply: (o, v) => (o.database = String(v)) },
  { name: 'execute', short: 'e', kind: 'string', help: 'Execute command and quit. (Disables --force and history file.)', apply: (o, v) => (o.execute = String(v)) },
  { name: 'batch', short: 'B', kind: 'bool', help: "Don't use history file. Print results with tab as separator, each row on new line.", apply: (o, v) => (o.batch = v === true) },
  { name: 'skip-column-names', short: 'N', kind: 'bool', help: "Don't write column names in results.", apply: (o, v) => (o.skipColumnNames = v === true) },
  { name: 'column-names', kind: 'bool', help: 'Write column names in results (default; --skip-column-names turns it off).', apply: (o, v) => (o.skipColumnNames = v !== true) },
  { name: 'table', short: 't', kind: 'bool', help: 'Output in table format.', apply: (o, v) => (o.table = v === true) },
  { name: 'vertical', short: 'E', kind: 'bool', help: 'Print the output of a query (rows) vertically.', apply: (o, v) => (o.vertical = v === true) },
  { name: 'raw', short: 'r', kind: 'bool', help: 'Write fields without conversion (no escaping of tab, newline, backslash, NUL).', apply: (o, v) => (o.raw = v === true) },
  { name: 'silent', short: 's', kind: 'bool', help: 'Be more silent. Print results with a tab as separator, each row on new line.', apply: (o, v) => (o.silent = v === true ? o.silent + 1 : 0) },
  { name: 'force', short: 'f', kind: 'bool', help: 'Continue even if we get an SQL error.', apply: (o, v) => (o.force = v === true) },
  { name: 'binary-as-hex', kind: 'bool', help: 'Print binary data as hex (default on in interactive mode).', apply: (o, v) => (o.binaryAsHex = v === true) },
  { name: 'show-warnings', kind: 'bool', help: 'Show warnings after every statement.', apply: (o, v) => (o.showWarnings = v === true) },
  {
    name: 'delimiter',
    kind: 'string',
    help: 'Delimiter to be used (default ;).',
    apply: (o, v) => {
      const d = String(v);
      if (d === '' || /\\/.test(d)) throw new ClientUsageError('DELIMITER cannot be empty or contain a backslash');
      o.delimiter = d;
    },
  },
  {
    name: 'ssl-mode',
    kind: 'string',
    help: `SSL connection mode: ${SSL_MODES.join(', ')} (default PREFERRED; VERIFY_CA when --ssl-ca is given).`,
    apply: (o, v) => {
      const m = String(v).toUpperCase();
      if (!(SSL_MODES as readonly string[]).includes(m)) {
        throw new ClientUsageError(`Unknown value '${String(v)}' for option 'ssl-mode' (one of ${SSL_MODES.join(', ')})`);
      }
      o.ssl.mode = m as SslMode;
    },
  },
  { name: 'ssl-ca', kind: 'string', help: 'CA file in PEM format (e.g. global-bundle.pem).', apply: (o, v) => (o.ssl.ca = String(v)) },
  { name: 'ssl-capath', kind: 'string', help: 'CA directory (every *.pem file in it).', apply: (o, v) => (o.ssl.capath = String(v)) },
  { name: 'ssl-cert', kind: 'string', help: 'X509 client certificate in PEM format.', apply: (o, v) => (o.ssl.cert = String(v)) },
  { name: 'ssl-key', kind: 'string', help: 'X509 client key in PEM format.', apply: (o, v) => (o.ssl.key = String(v)) },
  { name: 'ssl-cipher', kind: 'string', help: 'SSL cipher list for TLS 1.2 and below.', apply: (o, v) => (o.ssl.cipher = String(v)) },
  { name: 'tls-ciphersuites', kind: 'string', help: 'TLS v1.3 cipher suites to use.', apply: (o, v) => (o.ssl.tlsCiphersuites = String(v)) },
  {
    name: 'tls-version',
    kind: 'string',
    help: 'TLS versions permitted, comma-separated: TLSv1.2,TLSv1.3.',
    apply: (o, v) => (o.ssl.tlsVersions = String(v).split(',').map((s) => s.trim()).filter(Boolean)),
  },
  {
    name: 'ssl-verify-server-cert',
    kind: 'bool',
    help: 'Deprecated MySQL 5.7 / MariaDB spelling of --ssl-mode=VERIFY_IDENTITY.',
    apply: (o, v) => {
      if (v === true) o.ssl.mode = 'VERIFY_IDENTITY';
    },
  },
  {
    name: 'ssl',
    kind: 'bool',
    help: 'Deprecated: --skip-ssl is --ssl-mode=DISABLED, --ssl is --ssl-mode=REQUIRED.',
    apply: (o, v) => (o.ssl.mode = v === true ? 'REQUIRED' : 'DISABLED'),
  },
  { name: 'enable-cleartext-plugin', kind: 'bool', help: 'Enable/disable the clear text authentication plugin (needed for IAM authentication tokens).', apply: (o, v) => (o.enableCleartextPlugin = v === true) },
  { name: 'connect-timeout', kind: 'int', help: 'Number of seconds before connection timeout (default 10).', apply: (o, v) => (o.connectTimeoutSec = toInt('connect-timeout', String(v))) },
  { name: 'init-command', kind: 'string', help: 'SQL command to execute when connecting to the server.', apply: (o, v) => (o.initCommand = String(v)) },
  { name: 'default-character-set', kind: 'string', help: 'Set the default character set (default utf8mb4).', apply: (o, v) => (o.defaultCharacterSet = String(v)) },
  { name: 'prompt', kind: 'string', help: 'Set the prompt (default "mysql> ").', apply: (o, v) => (o.prompt = String(v)) },
  { name: 'histignore', kind: 'string', help: 'Colon-separated patterns of statements not to keep in the history (always: *IDENTIFIED*:*PASSWORD*).', apply: (o, v) => (o.histignore = String(v)) },
  {
    name: 'protocol',
    kind: 'string',
    help: 'Connection protocol: only TCP (tlsql endpoints are TCP).',
    apply: (_o, v) => {
      if (String(v).toUpperCase() !== 'TCP') throw new ClientUsageError(`--protocol=${String(v)} is not supported: tlsql mysql connects over TCP only`);
    },
  },
  { name: 'version', short: 'V', kind: 'bool', help: 'Output version information and exit.', apply: (o, v) => (o.version = v === true) },
  // Accepted and ignored, so command lines written for mysql keep working.
  { name: 'no-defaults', kind: 'bool', help: 'Accepted for compatibility; option files are never read.', apply: () => undefined },
  { name: 'no-auto-rehash', short: 'A', kind: 'bool', help: 'Accepted for compatibility (there is no tab completion of names).', apply: () => undefined },
  { name: 'auto-rehash', kind: 'bool', help: 'Accepted for compatibility.', apply: () => undefined },
  { name: 'quick', short: 'q', kind: 'bool', help: 'Accepted for compatibility.', apply: () => undefined },
  { name: 'unbuffered', short: 'n', kind: 'bool', help: 'Accepted for compatibility.', apply: () => undefined },
  { name: 'no-beep', short: 'b', kind: 'bool', help: 'Accepted for compatibility.', apply: () => undefined },
  { name: 'comments', short: 'c', kind: 'bool', help: 'Accepted for compatibility (comments are always sent).', apply: () => undefined },
  // tlsql's own global options.
  { name: 'data-dir', kind: 'string', help: 'tlsql data dir (used for hints and `tlsql doctor`).', apply: (o, v) => (o.tlsql.dataDir = String(v)) },
  { name: 'debug', kind: 'bool', help: 'tlsql: print stack traces of errors.', apply: (o, v) => (o.tlsql.debug = v === true) },
];

/** Defaults before any option is applied. `env` supplies $USER, $MYSQL_HOST, $MYSQL_TCP_PORT. */
export function defaultMysqlOptions(env: NodeJS.ProcessEnv = {}): MysqlClientOptions {
  const envPort = env.MYSQL_TCP_PORT !== undefined && /^\d+$/.test(env.MYSQL_TCP_PORT) ? Number(env.MYSQL_TCP_PORT) : undefined;
  return {
    host: env.MYSQL_HOST || 'localhost',
    port: envPort ?? 3306,
    user: env.USER || env.LOGNAME || 'root',
    password: { kind: 'none' },
    database: undefined,
    execute: undefined,
    batch: false,
    skipColumnNames: false,
    table: false,
    vertical: false,
    raw: false,
    silent: 0,
    force: false,
    binaryAsHex: undefined,
    showWarnings: false,
    delimiter: ';',
    ssl: { mode: undefined, ca: undefined, capath: undefined, cert: undefined, key: undefined, cipher: undefined, tlsCiphersuites: undefined, tlsVersions: undefined },
    enableCleartextPlugin: false,
    connectTimeoutSec: 10,
    initCommand: undefined,
    defaultCharacterSet: 'utf8mb4',
    prompt: 'mysql> ',
    histignore: undefined,
    help: false,
    version: false,
    tlsql: { dataDir: undefined, debug: false },
    warnings: [],
  };
}

function findLong(name: string): OptionDef {
  const n = name.replace(/_/g, '-');
  const exact = MYSQL_OPTIONS.find((d) => d.name === n);
  if (exact) return exact;
  const prefixed = MYSQL_OPTIONS.filter((d) => d.name.startsWith(n));
  if (prefixed.length === 1) return prefixed[0] as OptionDef;
  if (prefixed.length > 1) {
    throw new ClientUsageError(`ambiguous option '--${name}' (${prefixed.map((d) => d.name).join(', ')})`);
  }
  throw new ClientUsageError(`unknown option '--${name}'.`);
}

function boolValue(name: string, v: string): boolean {
  if (truthy.test(v)) return true;
  if (falsy.test(v)) return false;
  throw new ClientUsageError(`option '--${name}' takes 0/1, ON/OFF or TRUE/FALSE, not '${v}'`);
}

/**
 * Parses `argv` (the tokens after `tlsql mysql`). Throws ClientUsageError for unknown or
 * ambiguous options and missing or bad values, with the MySQL client's wording.
 */
export function parseMysqlArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): MysqlClientOptions {
  const o = defaultMysqlOptions(env);
  const positional: string[] = [];
  let explicitSslMode = false;
  const applyDef = (d: OptionDef, v: string | boolean | undefined) => {
    d.apply(o, v);
    if (d.name === 'ssl-mode' || d.name === 'ssl' || (d.name === 'ssl-verify-server-cert' && v === true)) explicitSslMode = true;
  };

  for (let i = 0; i < argv.length; i++) {
    const tok = argv[i] as string;
    if (tok === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (tok.startsWith('--')) {
      const eq = tok.indexOf('=');
      let name = tok.slice(2, eq === -1 ? undefined : eq);
      const inline = eq === -1 ? undefined : tok.slice(eq + 1);
      if (name.startsWith('loose-') || name.startsWith('loose_')) {
        name = name.slice(6);
        try {
          findLong(name);
        } catch {
          o.warnings.push(`mysql: [Warning] unknown option '--${name}' ignored (--loose-).`);
          continue;
        }
      }
      let negate = false;
      for (const p of ['skip-', 'disable-', 'enable-', 'skip_', 'disable_', 'enable_']) {
        if (name.startsWith(p) && !MYSQL_OPTIONS.some((d) => d.name === name.replace(/_/g, '-'))) {
          const base = name.slice(p.length);
          const d = MYSQL_OPTIONS.find((x) => x.name === base.replace(/_/g, '-'));
          if (d?.kind === 'bool') {
            if (inline !== undefined) throw new ClientUsageError(`option '--${name}' cannot take an argument`);
            applyDef(d, !p.startsWith('skip') && !p.startsWith('disable'));
            negate = true;
          }
          break;
        }
      }
      if (negate) continue;
      const d = findLong(name);
      switch (d.kind) {
        case 'bool':
          applyDef(d, inline === undefined ? true : boolValue(d.name, inline));
          break;
        case 'optional-string':
          applyDef(d, inline);
          break;
        case 'string':
        case 'int': {
          let v = inline;
          if (v === undefined) {
            if (i + 1 >= argv.length) throw new ClientUsageError(`option '--${d.name}' requires an argument`);
            v = argv[++i] as string;
          }
          applyDef(d, v);
          break;
        }
      }
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      // Bundled short options: flags until one that takes a value, which takes the rest of
      // the token, or (except -p, whose value must be attached) the next token.
      for (let j = 1; j < tok.length; j++) {
        const c = tok[j] as string;
        const d = MYSQL_OPTIONS.find((x) => x.short === c);
        if (d === undefined) throw new ClientUsageError(`unknown option '-${c}'.`);
        if (d.kind === 'bool') {
          applyDef(d, true);
          continue;
        }
        const rest = tok.slice(j + 1);
        if (d.kind === 'optional-string') {
          applyDef(d, rest === '' ? undefined : rest);
        } else if (rest !== '') {
          applyDef(d, rest);
        } else {
          if (i + 1 >= argv.length) throw new ClientUsageError(`option '-${c}' requires an argument`);
          applyDef(d, argv[++i] as string);
        }
        break;
      }
      continue;
    }
    positional.push(tok);
  }

  if (positional.length > 0) {
    if (o.database === undefined) o.database = positional[0];
    if (positional.length > 1) throw new ClientUsageError(`unexpected arguments: ${positional.slice(1).join(' ')} (only one database name may be given)`);
  }
  // MySQL: --ssl-ca/--ssl-capath without an explicit --ssl-mode means VERIFY_CA; with an explicit
  // weaker mode the CA is not used and the client says so.
  if (!explicitSslMode && (o.ssl.ca !== undefined || o.ssl.capath !== undefined)) o.ssl.mode = 'VERIFY_CA';
  if (explicitSslMode && (o.ssl.ca !== undefined || o.ssl.capath !== undefined) && o.ssl.mode !== 'VERIFY_CA' && o.ssl.mode !== 'VERIFY_IDENTITY') {
    o.warnings.push('WARNING: no verification of server certificate will be done. Use --ssl-mode=VERIFY_CA or VERIFY_IDENTITY.');
  }
  if (o.execute !== undefined) o.force = false;
  return o;
}

/** `tlsql mysql --help`. */
export function mysqlHelp(): string {
  const rows = MYSQL_OPTIONS.map((d) => {
    const arg = d.kind === 'bool' ? '' : d.kind === 'optional-string' ? '[=name]' : '=name';
    const short = d.short !== undefined ? `-${d.short}, ` : '    ';
    return [`  ${short}--${d.name}${arg}`, d.help] as const;
  });
  const width = Math.min(40, Math.max(...rows.map((r) => r[0].length)) + 2);
  return [
    'tlsql mysql: a MySQL-compatible command-line client with MySQL 8 --ssl-mode semantics.',
    'Usage: tlsql mysql [OPTIONS] [database]',
    '',
    'Connect to a tlsql DB instance the way the RDS guide says, verifying the endpoint:',
    '  tlsql mysql -h <endpoint> --ssl-ca=global-bundle.pem --ssl-mode=VERIFY_IDENTITY -P 3306 -u admin -p',
    '',
    'When stdin is not a terminal, a bare -p reads the password from /dev/tty, or, when the process has',
    'no terminal, from the first line of stdin. Option files (~/.my.cnf) are not read. -h localhost',
    'connects over TCP (tlsql endpoints have no local socket).',
    '',
    ...rows.map(([l, h]) => (l.length >= width ? `${l}\n${' '.repeat(width)}${h}` : `${l.padEnd(width)}${h}`)),
    '',
  ].join('\n');
}
