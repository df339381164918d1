/**
 * Waiting for a DB instance to reach a state, with the AWS waiters' rules (DBInstanceAvailable,
 * DBInstanceDeleted) and messages, plus tlsql's DBInstanceStopped. Polls DescribeDBInstances,
 * first after 250 ms and then at doubling intervals up to `maxDelayMs`, until success, a failure
 * state or `timeoutMs`.
 */

import { DescribeDBInstancesCommand, type DBInstance, type DescribeDBInstancesCommandOutput, type Filter } from '@aws-sdk/client-rds';
import { ApiCallError, WaiterError } from './errors.js';
import { createProgress } from './progress.js';
import type { CommandContext } from './registry.js';

export interface WaiterSpec {
  /** AWS waiter name, used in messages: `DBInstanceAvailable`. */
  readonly name: string;
  /** Short state word for progress lines: `available`. */
  readonly target: string;
  /** Succeeds when every instance is in this state (and there is at least one). */
  readonly successStatus: string;
  /** Also succeeds when no instance matches (deleted). */
  readonly successWhenGone: boolean;
  /** Fails as soon as any instance is in one of these. */
  readonly failureStatuses: readonly string[];
}

export const waiters = {
  available: {
    name: 'DBInstanceAvailable',
    target: 'available',
    successStatus: 'available',
    successWhenGone: false,
    failureStatuses: ['deleted', 'deleting', 'failed', 'incompatible-restore', 'incompatible-parameters'],
  },
  deleted: {
    name: 'DBInstanceDeleted',
    target: 'deleted',
    successStatus: 'deleted',
    successWhenGone: true,
    failureStatuses: ['creating', 'modifying', 'rebooting', 'resetting-master-credentials'],
  },
  stopped: {
    name: 'DBInstanceStopped',
    target: 'stopped',
    successStatus: 'stopped',
    successWhenGone: false,
    failureStatuses: ['deleted', 'deleting', 'failed'],
  },
} as const satisfies Record<string, WaiterSpec>;

export interface WaitOptions {
  /** Give up after this long. Default 30 minutes (the AWS waiters' 60 x 30 s). */
  timeoutMs?: number;
  /** Longest pause between polls. Default 2000 ms. */
  maxDelayMs?: number;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_WAIT_MAX_DELAY_MS = 2_000;

/**
 * Polls until the instances selected by `query` satisfy `spec`. Returns the instances of the
 * last poll (empty when they are gone). Throws WaiterError (exit 255) on a failure state, an
 * unexpected API error or timeout. Shows progress on stderr when stdout is a terminal.
 */
export async function waitForDbInstances(
  ctx: CommandContext,
  spec: WaiterSpec,
  query: { DBInstanceIdentifier?: string; Filters?: Filter[] },
  opts: WaitOptions = {},
): Promise<DBInstance[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const maxDelayMs = Math.max(1, opts.maxDelayMs ?? DEFAULT_WAIT_MAX_DELAY_MS);
  const label = query.DBInstanceIdentifier ? `db-instance ${query.DBInstanceIdentifier}` : 'db-instances';
  const progress = createProgress(ctx.io, ctx.clock, label, ctx.io.isTTY && !ctx.globals.debug);
  const started = ctx.clock.now();
  let delay = Math.min(250, maxDelayMs);
  let last = 'unknown';
  try {
    for (;;) {
      let instances: DBInstance[];
      try {
        const out = await ctx.send<DescribeDBInstancesCommandOutput>('DescribeDBInstances', new DescribeDBInstancesCommand(query));
        instances = out.DBInstances ?? [];
      } catch (e) {
        if (e instanceof ApiCallError) {
          if (spec.successWhenGone && e.code === 'DBInstanceNotFound') {
            progress.stop(`${label} is ${spec.target}`);
            return [];
          }
          throw new WaiterError(spec.name, `An error occurred (${e.code}): ${e.message}`);
        }
        throw e;
      }
      const statuses = instances.map((i) => i.DBInstanceStatus ?? 'unknown');
      last = statuses.length > 0 ? [...new Set(statuses)].join(', ') : 'not found';
      if ((statuses.length === 0 && spec.successWhenGone) || (statuses.length > 0 && statuses.every((s) => s === spec.successStatus))) {
        progress.stop(`${label} is ${spec.target}`);
        return instances;
      }
      const failed = statuses.find((s) => spec.failureStatuses.includes(s));
      if (failed !== undefined) {
        throw new WaiterError(
          spec.name,
          `Waiter encountered a terminal failure state: For expression "DBInstances[].DBInstanceStatus" we matched expected path: "${failed}" at least once`,
        );
      }
      progress.update(last);
      const elapsed = ctx.clock.now() - started;
      if (elapsed + delay > timeoutMs) {
        throw new WaiterError(spec.name, `Max attempts exceeded (waited ${Math.round(elapsed / 1000)} s; last status: ${last})`);
      }
      await ctx.clock.sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  } finally {
    progress.stop();
  }
}
