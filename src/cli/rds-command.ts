/**
 * Builds CLI commands that map one-to-one onto RDS API actions: options with a `member` fill
 * the SDK input, paginated actions get the AWS CLI's `--starting-token`, `--page-size`,
 * `--max-items` and `--no-paginate`, and the response is printed in the `--output` format.
 */

import { camelCase, type OptionSpec } from './options.js';
import { UsageError } from './errors.js';
import { decodeNextToken, paginate } from './paginate.js';
import type { CommandContext, CommandDef } from './registry.js';
import { renderOutput } from './output/render.js';

/** The input type of an SDK command class (`new DescribeDBInstancesCommand(input)`). */
export type InputOf<C> = C extends abstract new (...args: infer A) => unknown ? NonNullable<A[0]> : never;

/** An option of an RDS command; `member` must name a member of the action's input. */
export interface RdsOptionSpec<I> extends OptionSpec {
  readonly member?: Extract<keyof I, string>;
}

/** The AWS CLI's pagination options, added to every paginated command. */
export const pagingOptions = [
  {
    name: 'starting-token',
    type: 'string',
    metavar: '<token>',
    help: 'Resume from the NextToken printed by an earlier command that stopped at --max-items.',
  },
  {
    name: 'page-size',
    type: 'integer',
    metavar: '<n>',
    help: 'Items per API call (MaxRecords). Does not change the output, only the number of calls.',
  },
  {
    name: 'max-items',
    type: 'integer',
    metavar: '<n>',
    help: 'Print at most this many items, plus a NextToken to resume with --starting-token.',
  },
  {
    name: 'paginate',
    type: 'boolean',
    help: 'Use --no-paginate to make a single API call and print its Marker instead of following it.',
  },
] as const satisfies readonly OptionSpec[];

type SdkCommandClass = abstract new (...args: never[]) => unknown;

export interface RdsCommandSpec<C extends SdkCommandClass> {
  /** CLI name, e.g. `describe-db-instances`. */
  readonly name: string;
  readonly summary: string;
  readonly description?: string;
  /** API action, e.g. `DescribeDBInstances`; titles tables and names the action in errors. */
  readonly operation: string;
  /** The SDK command class, e.g. DescribeDBInstancesCommand. */
  readonly command: C;
  readonly options: readonly RdsOptionSpec<InputOf<C>>[];
  /** For paginated actions: the list member the pages are joined on, e.g. `DBInstances`. */
  readonly resultKey?: string;
  /** When the pages are inside one member (DescribeEngineDefaultParameters: `EngineDefaults`), its name. */
  readonly resultWrapper?: string;
}

/** Copies every given option that has a `member` into an SDK input object. */
export function buildInput(options: readonly OptionSpec[], args: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const o of options) {
    if (o.member === undefined) continue;
    const v = args[camelCase(o.name)];
    if (v !== undefined) input[o.member] = v;
  }
  return input;
}

/** Sends the action for `spec` with `input`, following pages as the AWS CLI does. */
export async function callRds<C extends SdkCommandClass>(
  ctx: CommandContext,
  spec: RdsCommandSpec<C>,
  input: Record<string, unknown>,
  args: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const Ctor = spec.command as unknown as new (input: Record<string, unknown>) => unknown;
  if (spec.resultKey === undefined) return ctx.send(spec.operation, new Ctor(input));
  const pageSize = args.pageSize as number | undefined;
  const maxItems = args.maxItems as number | undefined;
  if (pageSize !== undefined && pageSize < 1) throw new UsageError('argument --page-size: must be at least 1', spec.name);
  if (maxItems !== undefined && maxItems < 1) throw new UsageError('argument --max-items: must be at least 1', spec.name);
  const withPage = (marker: string | undefined) => ({
    ...input,
    ...(pageSize !== undefined ? { MaxRecords: pageSize } : {}),
    ...(marker !== undefined ? { Marker: marker } : {}),
  });
  if (args.paginate === false) {
    const start = args.startingToken as string | undefined;
    return ctx.send(spec.operation, new Ctor(withPage(start === undefined ? undefined : decodeNextToken(start, spec.name).marker)));
  }
  const wrapper = spec.resultWrapper;
  const send = (marker: string | undefined): Promise<Record<string, unknown>> => ctx.send(spec.operation, new Ctor(withPage(marker)));
  const merged = await paginate(wrapper === undefined ? send : async (marker) => ((await send(marker))[wrapper] ?? {}) as Record<string, unknown>, spec.resultKey, {
    ...(maxItems !== undefined ? { maxItems } : {}),
    startingToken: args.startingToken as string | undefined,
    command: spec.name,
  });
  return wrapper === undefined ? merged : { [wrapper]: merged };
}

/**
 * Prints a (possibly merged) response. Text output of paginated results is printed as the AWS
 * CLI prints it: only the result list, then `NEXTTOKEN <token>` when truncated (without
 * `--query`, which selects from the whole response).
 */
export function printRds(ctx: CommandContext, operation: string, response: Record<string, unknown>, resultKey?: string): void {
  if (ctx.globals.output === 'text' && ctx.globals.query === undefined && resultKey !== undefined && Array.isArray(response[resultKey])) {
    ctx.io.stdout.write(renderOutput('text', operation, { [resultKey]: response[resultKey] }));
    if (typeof response.NextToken === 'string') {
      ctx.io.stdout.write(renderOutput('text', operation, { NextToken: { NextToken: response.NextToken } }));
    }
    return;
  }
  ctx.print(operation, response);
}

/** A command that sends one RDS action built from its options and prints the result. */
export function rdsCommand<C extends SdkCommandClass>(spec: RdsCommandSpec<C>): CommandDef {
  const options: readonly OptionSpec[] = spec.resultKey !== undefined ? [...spec.options, ...pagingOptions] : spec.options;
  return {
    name: spec.name,
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options,
    async run(ctx, args) {
      const a = args as Record<string, unknown>;
      const out = await callRds(ctx, spec, buildInput(spec.options, a), a);
      printRds(ctx, spec.operation, out, a.paginate === false ? undefined : spec.resultKey);
    },
  };
}
