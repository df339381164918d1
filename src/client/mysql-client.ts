/**
 * `tlsql mysql`: a MySQL-compatible command-line client. Reads the MySQL 8 command line, connects
 * with MySQL's --ssl-mode semantics (connect.ts), then either runs `-e`, reads statements from a
 * non-terminal stdin (batch), or runs the interactive monitor (prompt, multi-line statements,
 * `\G`, `status`, history, Ctrl-C cancelling the running statement).
 *
 * Modes, as in mysql.cc: batch when -e or -B is given or stdin/stdout is not a terminal; batch
 * output is tab-separated unless -t; without -B or a terminal missing, results are tables.
 */

import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ClientError } from '../protocol/client-error.js';
import { openConnection, type OpenConnection } from './connect.js';
import { ClientUsageError, formatClientError } from './errors.js';
import { Executor, type OutputMode } from './executor.js';
import { mysqlHelp, parseMysqlArgs, type MysqlClientOptions } from './options.js';
import { PromptAborted, promptPassword } from './password.js';
import { resolveTlsSettings, type TlsSettings } from './ssl-mode.js';
import { StatementBuffer, promptFor, type InputAction } from './statements.js';
import { statusText } from './status.js';

/** The process side, injected so tests can drive it. */
export interface ClientIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Exit codes: 0 success, 1 an SQL or connection error (as mysql), 252 a bad command line (as tlsql). */
export const MysqlExit = { ok: 0, error: 1, usage: 252 } as const;

/** tlsql's version, from the package.json above this module (src/ or dist/src/). */
export function tlsqlVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'tlsql' && pkg.version) return pkg.version;
      } catch {
        // an unreadable package.json on the way up is not ours; keep looking
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

const HELP_TEXT = `
tlsql mysql commands (the long forms only at the start of a statement):
  ?         (\\?) Synonym for 'help'.
  clear     (\\c) Clear the current input statement.
  delimiter (\\d) Set statement delimiter.
  ego       (\\G) Send command to the server, display result vertically.
  exit      (\\q) Exit. Same as quit.
  go        (\\g) Send command to the server.
  help      (\\h) Display this help.
  nowarning (\\w) Don't show warnings after every statement.
  quit      (\\q) Quit.
  status    (\\s) Get status information from the server: TLS version, cipher, server identity.
  use       (\\u) Use another database. Takes database name as argument.
  warnings  (\\W) Show warnings after every statement.
Ctrl-C cancels the statement being typed, or the running one (KILL QUERY over a second connection).

`;

/** MySQL's default histignore plus the user's patterns, as case-insensitive regexps. */
function histignore(patterns: string | undefined): RegExp[] {
  const all = ['*IDENTIFIED*', '*PASSWORD*', ...(patterns ? patterns.split(':') : [])].filter(Boolean);
  return all.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'is'));
}

/** $MYSQL_HISTFILE, else ~/.tlsql_mysql_history (tlsql never writes the real mysql client's file). */
function historyPath(env: NodeJS.ProcessEnv): string | undefined {
  const p = env.MYSQL_HISTFILE ?? join(env.HOME ?? homedir(), '.tlsql_mysql_history');
  return p === '/dev/null' || p === '' ? undefined : p;
}

/** Runs `tlsql mysql` with `argv` (the tokens after `mysql`). Never throws. */
export async function runMysqlClient(argv: readonly string[], io: ClientIo, ctx: { dataDir: string | undefined }): Promise<number> {
  let o: MysqlClientOptions;
  try {
    o = parseMysqlArgs(argv, io.env);
  } catch (e) {
    if (e instanceof ClientUsageError) {
      io.stderr.write(`tlsql mysql: [ERROR] ${e.message}\nRun \`tlsql mysql --help\` for the options.\n`);
      return MysqlExit.usage;
    }
    throw e;
  }
  if (o.help) {
    io.stdout.write(mysqlHelp());
    return MysqlExit.ok;
  }
  if (o.version) {
    io.stdout.write(`tlsql mysql  Ver ${tlsqlVersion()} (MySQL-compatible client with MySQL 8 --ssl-mode semantics)\n`);
    return MysqlExit.ok;
  }
  for (const w of o.warnings) io.stderr.write(`${w}\n`);
  const dataDir = o.tlsql.dataDir ?? ctx.dataDir;

  const stdinTty = (io.stdin as { isTTY?: boolean }).isTTY === true;
  const stdoutTty = (io.stdout as { isTTY?: boolean }).isTTY === true;
  const batch = o.batch || o.execute !== undefined || !stdinTty || !stdoutTty;
  const silent = Math.max(o.silent, o.batch || !stdinTty || !stdoutTty ? 1 : 0);
  const mode: OutputMode = {
    summaries: !batch,
    table: o.table || silent === 0,
    columnNames: !o.skipColumnNames && silent < 2,
    raw: o.raw,
    binaryAsHex: o.binaryAsHex ?? !batch,
    vertical: o.vertical,
    showWarnings: o.showWarnings,
  };

  const fail = (e: unknown): number => {
    const err = e instanceof ClientError ? e : new ClientError(2000, 'HY000', e instanceof Error ? e.message : String(e), { cause: e });
    io.stderr.write(formatClientError(err));
    if (o.tlsql.debug && err.cause instanceof Error) io.stderr.write(`tlsql debug: ${err.cause.stack ?? err.cause.message}\n`);
    return MysqlExit.error;
  };

  let tls: TlsSettings;
  let password = '';
  try {
    tls = resolveTlsSettings(o.ssl);
    if (o.password.kind === 'given') password = o.password.value;
    else if (o.password.kind === 'prompt') password = await promptPassword(io.stdin, io.stderr);
  } catch (e) {
    if (e instanceof PromptAborted) return MysqlExit.error;
    return fail(e);
  }
  const connect = () => openConnection({ options: o, tls, password, ...(dataDir !== undefined ? { dataDir } : {}) });
  let session: OpenConnection;
  try {
    session = await connect();
  } catch (e) {
    return fail(e);
  }
  const exec = new Executor(session, mode, io.stdout, io.stderr, connect);
  try {
    if (o.execute !== undefined) return await runScript(o.execute.split('\n'), exec, o, io, true);
    if (batch) return await runStream(io.stdin, exec, o, io);
    return await runInteractive(exec, o, io, connect);
  } finally {
    await exec.session.conn.end().catch(() => exec.session.conn.destroy());
  }
}

/** Prints an error the batch way: `ERROR 1064 (42000) at line 3: ...`, then the hint. */
function printBatchError(io: ClientIo, e: ClientError, line: number): void {
  io.stderr.write(`ERROR ${e.errno} (${e.sqlState}) at line ${line}: ${e.message}\n${e.hint !== undefined ? `Hint: ${e.hint}\n` : ''}`);
}

/** Handles one action in batch mode. Returns an exit code to stop with, or undefined to go on. */
async function batchAction(a: InputAction, exec: Executor, o: MysqlClientOptions, io: ClientIo, line: number): Promise<number | undefined> {
  let err: ClientError | undefined;
  switch (a.kind) {
    case 'statement':
      err = await exec.run(a.sql, a.vertical);
      break;
    case 'use':
      err = await exec.use(a.database);
      break;
    case 'quit':
      return MysqlExit.ok;
    case 'status':
      io.stdout.write(await statusText(exec.session, o, { version: tlsqlVersion(), delimiter: ';' }));
      break;
    case 'help':
      io.stdout.write(HELP_TEXT);
      break;
    case 'empty':
      // `;;` in a script: nothing to run (the interactive monitor says "No query specified").
      break;
    case 'error':
      io.stderr.write(`ERROR: ${a.message}\n`);
      return o.force ? undefined : MysqlExit.error;
    default:
      break;
  }
  if (err !== undefined) {
    printBatchError(io, err, line);
    if (!o.force) return MysqlExit.error;
  }
  return undefined;
}

/** `-e`: the statements of one string; stops at the first error. */
async function runScript(lines: readonly string[], exec: Executor, o: MysqlClientOptions, io: ClientIo, flush: boolean): Promise<number> {
  const buf = new StatementBuffer(o.delimiter);
  for (const [i, line] of lines.entries()) {
    for (const a of buf.feed(line)) {
      const r = await batchAction(a, exec, o, io, i + 1);
      if (r !== undefined) return r;
    }
  }
  if (flush) {
    for (const a of buf.flush()) {
      const r = await batchAction(a, exec, o, io, lines.length);
      if (r !== undefined) return r;
    }
  }
  return MysqlExit.ok;
}

/** Statements read from a non-terminal stdin. SIGINT cancels the running statement, a second one exits. */
async function runStream(input: Readable, exec: Executor, o: MysqlClientOptions, io: ClientIo): Promise<number> {
  const buf = new StatementBuffer(o.delimiter);
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (exec.running && interrupts === 1) void exec.cancel();
    else process.exit(MysqlExit.error);
  };
  process.on('SIGINT', onSigint);
  let n = 0;
  try {
    for await (const line of rl) {
      n++;
      for (const a of buf.feed(line)) {
        const r = await batchAction(a, exec, o, io, n);
        if (r !== undefined) return r;
        if (a.kind === 'statement') interrupts = 0;
      }
    }
    for (const a of buf.flush()) {
      const r = await batchAction(a, exec, o, io, n);
      if (r !== undefined) return r;
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
    rl.close();
  }
  return MysqlExit.ok;
}

/** The interactive monitor. */
async function runInteractive(exec: Executor, o: MysqlClientOptions, io: ClientIo, connect: () => Promise<OpenConnection>): Promise<number> {
  const s = exec.session;
  io.stdout.write(
    `Welcome to tlsql mysql, a MySQL-compatible client. Server ${s.greeting.serverVersion}, connection id ${s.conn.threadId}.\n` +
      (s.tls !== undefined ? `Encrypted with ${s.tls.protocol} (${s.tls.cipher}); server identity ${s.identity.summary}.\n` : `NOT encrypted: server identity ${s.identity.summary}.\n`) +
      `Type 'help;' or '\\h' for help, '\\s' for the connection and its TLS, '\\c' to clear the statement. Ctrl-C cancels, '\\q' quits.\n\n`,
  );

  const histFile = historyPath(io.env);
  const ignore = histignore(o.histignore);
  let history: string[] = [];
  if (histFile !== undefined) {
    try {
      history = (await readFile(histFile, 'utf8')).split('\n').filter(Boolean).reverse().slice(0, 1000);
    } catch {
      history = []; // no history yet
    }
  }
  const remember = async (text: string) => {
    if (histFile === undefined) return;
    const one = text.replace(/\s*\n\s*/g, ' ').trim();
    if (one === '' || ignore.some((r) => r.test(one))) return;
    try {
      await appendFile(histFile, one + '\n', { mode: 0o600 });
      await chmod(histFile, 0o600);
    } catch {
      // history is a convenience: an unwritable file must not break the session
    }
  };

  const buf = new StatementBuffer(o.delimiter);
  const rl = readline.createInterface({ input: io.stdin, output: io.stdout, terminal: true, history, historySize: 1000, removeHistoryDuplicates: true });
  const prompt = () => {
    rl.setPrompt(promptFor(buf.state(), o.prompt));
    rl.prompt();
  };
  let lostConnection = false;

  return new Promise<number>((resolveSession) => {
    const queue: string[] = [];
    let busy = false;
    let done = false;
    const finish = (code: number) => {
      if (done) return;
      done = true;
      io.stdout.write('Bye\n');
      rl.close();
      resolveSession(code);
    };

    const handle = async (a: InputAction): Promise<boolean> => {
      let err: ClientError | undefined;
      if (lostConnection && (a.kind === 'statement' || a.kind === 'use' || a.kind === 'status')) {
        io.stdout.write('No connection. Trying to reconnect...\n');
        try {
          exec.session = await connect();
          lostConnection = false;
          io.stdout.write(`Connection id:    ${exec.session.conn.threadId}\nCurrent database: ${o.database ?? '*** NONE ***'}\n\n`);
        } catch (e) {
          io.stderr.write(formatClientError(e instanceof ClientError ? e : new ClientError(2006, 'HY000', String(e))));
          io.stdout.write('ERROR: Can\'t connect to the server\n\n');
          return true;
        }
      }
      switch (a.kind) {
        case 'quit':
          return false;
        case 'statement':
          await remember(a.sql + (a.vertical ? '\\G' : ';'));
          err = await exec.run(a.sql, a.vertical);
          break;
        case 'use':
          err = await exec.use(a.database);
          if (err === undefined) io.stdout.write('\n');
          break;
        case 'status':
          try {
            io.stdout.write(await statusText(exec.session, o, { version: tlsqlVersion(), delimiter: buf.currentDelimiter }) + '\n');
          } catch (e) {
            err = e instanceof ClientError ? e : new ClientError(2006, 'HY000', String((e as Error).message ?? e));
          }
          break;
        case 'help':
          io.stdout.write(HELP_TEXT);
          break;
        case 'clear':
          break;
        case 'delimiter':
          break;
        case 'warnings':
          exec.mode.showWarnings = a.on;
          io.stdout.write(a.on ? 'Show warnings enabled.\n' : 'Show warnings disabled.\n');
          break;
        case 'empty':
          io.stdout.write('ERROR: \nNo query specified\n\n');
          break;
        case 'error':
          io.stdout.write(`ERROR: ${a.message}\n`);
          break;
      }
      if (err !== undefined) {
        io.stdout.write(formatClientError(err));
        if (Executor.isConnectionLost(err)) lostConnection = true;
        io.stdout.write('\n');
      }
      return true;
    };

    const drain = async () => {
      if (busy) return;
      busy = true;
      try {
        while (queue.length > 0 && !done) {
          const line = queue.shift() as string;
          for (const a of buf.feed(line)) {
            if (!(await handle(a))) {
              finish(MysqlExit.ok);
              return;
            }
          }
        }
      } finally {
        busy = false;
      }
      if (!done) prompt();
    };

    rl.on('line', (line) => {
      queue.push(line);
      void drain();
    });
    rl.on('SIGINT', () => {
      if (exec.running) {
        void exec.cancel();
        return;
      }
      // Not running: drop what was typed, as the MySQL 8 monitor does, and prompt again.
      queue.length = 0;
      buf.clear();
      rl.write(null, { ctrl: true, name: 'u' });
      io.stdout.write('^C\n');
      prompt();
    });
    rl.on('close', () => finish(MysqlExit.ok));
    prompt();
  });
}
