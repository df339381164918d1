/**
 * The command registry. Every `tlsql` command (the RDS-style ones here, and `server`, `init`,
 * `setup`... added by other modules) is a CommandDef: a name, a summary, option specs and a
 * `run` function. Parsing, `help` and dispatch are generic over these definitions.
 */

import type { Readable, Writable } from 'node:stream';
import type { RDSClient } from '@aws-sdk/client-rds';
import type { ClientContext } from './client-context.js';
import type { ArgsOf, GlobalArgs, OptionSpec } from './options.js';

/** The process-facing side of the CLI; tests pass streams of their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** Whether stdout is a terminal: turns on waiting by default and progress on stderr. */
  isTTY: boolean;
}

/** Time, injected so waiters can be tested without sleeping. */
export interface CliClock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** What a command's `run` gets besides its parsed arguments. */
export interface CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalArgs;
  /** The command's full name, e.g. `describe-db-instances` or `wait db-instance-available`. */
  readonly command: string;
  readonly clock: CliClock;
  /** Directory relative paths (e.g. `--out`) are resolved against. */
  readonly cwd: string;
  /** Columns of the terminal for table output; 80 when stdout is not a terminal. */
  readonly terminalWidth: number;
  /**
   * Endpoint, region and (unless `credentials: false`) credentials, resolved once from flags,
   * environment and the data dir. Config or credential problems throw CliError exit 253.
   */
  clientContext(opts?: { credentials?: boolean }): Promise<ClientContext>;
  /** An RDS SDK client for the tlsql API (created once). */
  rds(): Promise<RDSClient>;
  /**
   * Sends one API action. API errors become ApiCallError (exit 254), an unreachable server
   * ServerUnreachableError (exit 255). Returns the SDK output.
   */
  send<T extends object>(operation: string, command: unknown): Promise<T>;
  /** Writes an API-shaped result to stdout in the `--output` format, titled `operation` in tables. */
  print(operation: string, response: unknown): void;
  /** Writes a line to stderr when `--debug` is on. */
  debug(line: string): void;
}

/** One command. `O` is usually inferred from `options` declared `as const`. */
export interface CommandDef<O extends readonly OptionSpec[] = readonly OptionSpec[]> {
  /** Lower-case words separated by one space: `create-db-instance`, `wait db-instance-available`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Longer help text (paragraphs), shown by `tlsql <command> help`. */
  readonly description?: string;
  readonly options: O;
  /**
   * The command parses its own arguments (MySQL-style `-h host`/`-pSECRET`, positional names):
   * `run` gets a `RawArgs` instead of parsed options, and tlsql's global options are taken only
   * from before the command name. Define such commands with `defineRawCommand`. Default false.
   */
  readonly rawArgs?: boolean;
  /** Returns the exit code (default 0) or throws (CliError and friends carry their own). */
  run(ctx: CommandContext, args: ArgsOf<O>): Promise<number | void>;
}

/** What a `rawArgs` command gets: the tokens around its name, unparsed. */
export interface RawArgs {
  /** Every token after the command name, as given. */
  readonly argv: readonly string[];
  /** Tokens before the command name (tlsql global options), already parsed into `ctx.globals`. */
  readonly leading: readonly string[];
}

/** Infers a command's argument types from its `options`; returns `def` unchanged. */
export function defineCommand<const O extends readonly OptionSpec[]>(def: CommandDef<O>): CommandDef<O> {
  return def;
}

/** Defines a command that parses its own arguments (see `CommandDef.rawArgs`). */
export function defineRawCommand(def: {
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  run(ctx: CommandContext, args: RawArgs): Promise<number | void>;
}): CommandDef<readonly []> {
  return {
    name: def.name,
    summary: def.summary,
    ...(def.description !== undefined ? { description: def.description } : {}),
    options: [],
    rawArgs: true,
    run: (ctx, args) => def.run(ctx, args as unknown as RawArgs),
  };
}

/** A set of commands by name. Multi-word names form groups (`wait` -> `wait db-instance-available`). */
export class CommandRegistry {
  private readonly commands = new Map<string, CommandDef>();
  private readonly groupSummaries = new Map<string, string>();

  /** One-line summary of a command group for `tlsql help`, e.g. `wait`. */
  describeGroup(group: string, summary: string): void {
    this.groupSummaries.set(group, summary);
  }

  /** The group's summary, or a list of its subcommands. */
  groupSummary(group: string): string {
    return this.groupSummaries.get(group) ?? `Subcommands: ${this.inGroup(group).map((c) => c.name.slice(group.length + 1)).join(', ')}.`;
  }

  /** Adds a command; registering the same definition twice is a no-op, a different one with the same name an error. */
  register<const O extends readonly OptionSpec[]>(def: CommandDef<O>): void {
    if (!/^[a-z0-9][a-z0-9-]*( [a-z0-9][a-z0-9-]*)*$/.test(def.name)) throw new Error(`invalid command name '${def.name}'`);
    const existing = this.commands.get(def.name);
    if (existing !== undefined && existing !== (def as unknown)) throw new Error(`command '${def.name}' is already registered`);
    if (this.isGroup(def.name)) throw new Error(`'${def.name}' is already a command group`);
    this.commands.set(def.name, def as unknown as CommandDef);
  }

  get(name: string): CommandDef | undefined {
    return this.commands.get(name);
  }

  /** True when some command's name starts with `prefix` + a space. */
  isGroup(prefix: string): boolean {
    for (const name of this.commands.keys()) if (name.startsWith(`${prefix} `)) return true;
    return false;
  }

  /** Commands whose name starts with `prefix` + a space, sorted. */
  inGroup(prefix: string): CommandDef[] {
    return this.list().filter((c) => c.name.startsWith(`${prefix} `));
  }

  /** All commands, sorted by name. */
  list(): CommandDef[] {
    return [...this.commands.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** The registry `runCli` uses unless given another. */
export const defaultRegistry = new CommandRegistry();

/** Adds a command to the default registry (for `server`, `init`, `setup` and the like). */
export function registerCommand<const O extends readonly OptionSpec[]>(def: CommandDef<O>): void {
  defaultRegistry.register(def);
}
