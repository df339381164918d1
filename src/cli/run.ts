/**
 * `tlsql` command-line entry: splits the command name from its options, parses them against the
 * command's specs plus the global options, runs the command and maps failures to the AWS CLI's
 * messages and exit codes (see errors.ts). Has no side effects on the process: the caller
 * (src/main.ts via bin/tlsql) passes the streams and sets the exit code.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import jmespath from 'jmespath';
import { defaultDataDir } from '../config/config.js';
import { isAppError } from '../errors/app-error.js';
import { CliCommandContext } from './command-context.js';
import { registerBuiltinCommands } from './commands/index.js';
import { ApiCallError, CliError, ExitCode, formatApiError, ServerUnreachableError, UsageError, WaiterError } from './errors.js';
import { commandHelp, groupHelp, mainHelp } from './help.js';
import { camelCase, globalOptions, type GlobalArgs, type OutputFormat } from './options.js';
import { parseOptions } from './parse-args.js';
import { defaultRegistry, type CliClock, type CliIo, type CommandRegistry } from './registry.js';

export type { CliIo } from './registry.js';

export interface RunOptions {
  /** Commands to dispatch to. Default: the default registry (built-ins are added to it). */
  registry?: CommandRegistry;
  /** Time source for waiters. Default: the wall clock and setTimeout. */
  clock?: CliClock;
  /** Directory for relative paths (`--out`, `file://`). Default: process.cwd(). */
  cwd?: string;
}

const systemClock: CliClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Runs one `tlsql` invocation. `argv` excludes the node and script paths. Resolves to the exit
 * code: 0 success, 252 usage error, 253 configuration/credentials, 254 API error, 255 other.
 * Never throws.
 */
export async function runCli(argv: string[], io: CliIo, options: RunOptions = {}): Promise<number> {
  const registry = options.registry ?? defaultRegistry;
  const debug = argv.includes('--debug');
  try {
    registerBuiltinCommands(registry);
    const cwd = options.cwd ?? process.cwd();
    const { words, rest, end } = splitCommand(argv, registry);

    if (words.length === 0 || words[0] === 'help') {
      const topic = words[0] === 'help' ? rest.filter((t) => !t.startsWith('-')) : [];
      if (topic.length > 0) return printTopicHelp(topic.join(' '), registry, io);
      const parsed = parseOptions(rest, globalOptions, { command: 'tlsql' });
      if (!parsed.help && words.length === 0) throw new UsageError('the following arguments are required: command');
      io.stdout.write(mainHelp(registry));
      return ExitCode.ok;
    }

    const name = words.join(' ');
    const cmd = registry.get(name);
    if (cmd === undefined) {
      const group = words[0] as string;
      const wantsHelp = rest.some((t) => t === '--help' || t === '-h') || (words.length === 2 && words[1] === 'help');
      if (registry.isGroup(group) && (words.length === 1 || wantsHelp)) {
        if (wantsHelp) {
          io.stdout.write(groupHelp(group, registry));
          return ExitCode.ok;
        }
        throw new UsageError(`the following arguments are required: subcommand (one of ${registry.inGroup(group).map((c) => c.name.slice(group.length + 1)).join(', ')})`, group);
      }
      throw new UsageError(unknownCommandMessage(name, registry));
    }

    const columns = (io.stdout as { columns?: unknown }).columns;
    const terminalWidth = io.isTTY && typeof columns === 'number' && columns > 0 ? columns : 80;
    if (cmd.rawArgs === true) {
      // The command reads everything after its name itself (`tlsql mysql -h host -pSECRET`);
      // tlsql's global options are only those before the name.
      const after = argv.slice(end);
      const leading = rest.slice(0, rest.length - after.length);
      const globalsParsed = parseOptions(leading, globalOptions, { command: cmd.name });
      const ctx = new CliCommandContext(io, toGlobals(globalsParsed.values, io.env), cmd.name, options.clock ?? systemClock, cwd, terminalWidth);
      const code = await cmd.run(ctx, { argv: after, leading } as never);
      return typeof code === 'number' ? code : ExitCode.ok;
    }

    const parsed = parseOptions(rest, [...cmd.options, ...globalOptions], {
      command: cmd.name,
      loadFile: (p) => readFileSync(resolve(cwd, p), 'utf8'),
    });
    if (parsed.help) {
      io.stdout.write(commandHelp(cmd));
      return ExitCode.ok;
    }
    const globals = toGlobals(parsed.values, io.env);
    const args: Record<string, unknown> = {};
    for (const o of cmd.options) {
      const k = camelCase(o.name);
      if (k in parsed.values) args[k] = parsed.values[k];
    }
    const ctx = new CliCommandContext(io, globals, cmd.name, options.clock ?? systemClock, cwd, terminalWidth);
    const code = await cmd.run(ctx, args as never);
    return typeof code === 'number' ? code : ExitCode.ok;
  } catch (e) {
    return reportError(e, io, debug);
  }
}

/**
 * Separates the command words (`wait db-instance-available`) from options, wherever globals appear.
 * `end` is the index in `argv` just after the last command word.
 */
function splitCommand(argv: readonly string[], registry: CommandRegistry): { words: string[]; rest: string[]; end: number } {
  const words: string[] = [];
  const rest: string[] = [];
  let complete = false;
  let end = argv.length;
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i] as string;
    if (complete) {
      rest.push(t);
      continue;
    }
    if (t.startsWith('-')) {
      rest.push(t);
      // Options end a group's words: `wait --db-instance-identifier a` lacks a subcommand.
      if (words.length > 0) {
        complete = true;
        continue;
      }
      // A global option's value must not be taken for the command name.
      const g = globalOptions.find((o) => t === `--${o.name}`);
      if (g !== undefined && g.type !== 'boolean' && i + 1 < argv.length) rest.push(argv[++i] as string);
      continue;
    }
    words.push(t);
    const name = words.join(' ');
    if (t === 'help' || registry.get(name) !== undefined || !registry.isGroup(name)) {
      complete = true;
      end = i + 1;
    }
  }
  return { words, rest, end };
}

function printTopicHelp(topic: string, registry: CommandRegistry, io: CliIo): number {
  const cmd = registry.get(topic);
  if (cmd !== undefined) io.stdout.write(commandHelp(cmd));
  else if (registry.isGroup(topic)) io.stdout.write(groupHelp(topic, registry));
  else throw new UsageError(unknownCommandMessage(topic, registry));
  return ExitCode.ok;
}

function unknownCommandMessage(name: string, registry: CommandRegistry): string {
  const names = registry.list().map((c) => c.name);
  const close = names
    .map((n) => ({ n, d: editDistance(n, name) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 4)))
    .sort((a, b) => a.d - b.d)
    .slice(0, 3)
    .map((x) => x.n);
  return `unknown command '${name}'${close.length > 0 ? `; did you mean ${close.join(', ')}?` : ''}`;
}

function editDistance(a: string, b: string): number {
  const d: number[] = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0] as number;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j] as number;
      d[j] = Math.min((d[j] as number) + 1, (d[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length] as number;
}

function toGlobals(values: Record<string, unknown>, env: NodeJS.ProcessEnv): GlobalArgs {
  return {
    endpointUrl: values.endpointUrl as string | undefined,
    region: values.region as string | undefined,
    dataDir: (values.dataDir as string | undefined) ?? defaultDataDir(env),
    output: (values.output as OutputFormat | undefined) ?? 'json',
    query: checkQuery(values.query as string | undefined),
    debug: values.debug === true,
  };
}

/** A `--query` expression, refused (as the AWS CLI does, before any request) when it is not valid JMESPath. */
function checkQuery(query: string | undefined): string | undefined {
  if (query === undefined) return undefined;
  try {
    // The package's type declarations omit compile(), which parses without evaluating.
    (jmespath as unknown as { compile(expression: string): unknown }).compile(query);
  } catch (e) {
    throw new UsageError(`Bad value for --query ${query}: ${(e as Error).message}`);
  }
  return query;
}

/** Prints `e` the way the AWS CLI would and returns the exit code. */
function reportError(e: unknown, io: CliIo, debug: boolean): number {
  const write = (s: string) => io.stderr.write(s);
  let code: number;
  if (e instanceof UsageError) {
    write(`tlsql: error: ${e.message}\n`);
    write(e.command !== undefined ? `Run \`tlsql ${e.command} help\` for usage.\n` : 'Run `tlsql help` for usage.\n');
    code = e.exitCode;
  } else if (e instanceof ApiCallError) {
    write(formatApiError(e.operation, e.code, e.message));
    code = e.exitCode;
  } else if (e instanceof WaiterError) {
    write(`\n${e.message}\n`);
    code = e.exitCode;
  } else if (e instanceof ServerUnreachableError) {
    write(`tlsql: ${e.message}\n`);
    code = e.exitCode;
  } else if (e instanceof CliError) {
    write(`tlsql: error: ${e.message}\n`);
    code = e.exitCode;
  } else if (isAppError(e)) {
    write(`tlsql: error: ${e.message}\n`);
    code = e.code === 'ConfigInvalid' ? ExitCode.config : ExitCode.failure;
  } else {
    write(`tlsql: error: ${e instanceof Error ? e.message : String(e)}\n`);
    code = ExitCode.failure;
  }
  if (debug) {
    for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
      write(`tlsql debug: ${c instanceof Error ? (c.stack ?? c.message) : String(c)}\n`);
    }
  }
  return code;
}
