/**
 * The shape of one RDS Query API action: read awsQuery parameters, call the control plane,
 * write the `<{Action}Result>` members. One file per action; `index.ts` is the registry.
 */
import type { ControlPlane } from '../../control/control-plane.js';
import type { InstanceSettingsInput } from '../../model/db-instance-requests.js';
import type { Filter } from '../../model/filter.js';
import type { Tag } from '../../model/tag.js';
import { AppError } from '../../errors/app-error.js';
import type { Logger } from '../../lib/logger.js';
import type { QueryReader } from '../query.js';
import type { XmlWriter } from '../xml.js';

export interface ActionContext {
  control: ControlPlane;
  /** The request's parameters (Action and Version included). */
  params: QueryReader;
  requestId: string;
  /** The authenticated caller's principal, from the credential store. */
  principal: string;
  logger: Logger;
}

/**
 * Writes the members of `<{Action}Result>`. `null` means the operation has no output shape and
 * the response carries only ResponseMetadata, as RDS does for e.g. DeleteDBParameterGroup.
 */
export type ResultWriter = ((w: XmlWriter) => void) | null;

export interface Action {
  /** The awsQuery `Action` name, e.g. `DescribeDBInstances`. */
  readonly name: string;
  run(ctx: ActionContext): Promise<ResultWriter>;
}

/** Declares an action: `export const fooAction = defineAction('Foo', async (ctx) => ...)`. */
export function defineAction(name: string, run: (ctx: ActionContext) => Promise<ResultWriter>): Action {
  return { name, run };
}

/** `Filters.Filter.N.Name` / `Filters.Filter.N.Values.Value.M`, or undefined when absent. */
export function readFilters(params: QueryReader): Filter[] | undefined {
  return params.list('Filters', 'Filter')?.map((f) => ({
    name: f.requiredString('Name'),
    values: f.stringList('Values', 'Value') ?? [],
  }));
}

/** `Tags.Tag.N.Key` / `Tags.Tag.N.Value` (a missing Value is the empty string, as RDS). */
export function readTags(params: QueryReader): Tag[] | undefined {
  return params.list('Tags', 'Tag')?.map((t) => ({ key: t.requiredString('Key'), value: t.string('Value') ?? '' }));
}

/**
 * Refuses a non-empty `Filters` on actions whose control-plane call takes no filters, rather
 * than silently returning unfiltered results. (RDS documents Filters on these as "not currently
 * supported".)
 */
export function refuseFilters(params: QueryReader, action: string): void {
  const filters = params.list('Filters', 'Filter');
  if (filters && filters.length > 0) {
    throw new AppError('InvalidParameterValue', `${action} does not support the Filters parameter.`, { details: { param: 'Filters' } });
  }
}

/**
 * The CreateDBInstance/ModifyDBInstance members infrastructure-as-code tools send (docs/iac.md),
 * with `extra` members of one action; undefined when none is sent.
 */
export function readInstanceSettings(params: QueryReader, extra: InstanceSettingsInput = {}): InstanceSettingsInput | undefined {
  const all: InstanceSettingsInput = {
    ...extra,
    maxAllocatedStorage: params.integer('MaxAllocatedStorage'),
    storageType: params.string('StorageType'),
    iops: params.integer('Iops'),
    backupRetentionPeriod: params.integer('BackupRetentionPeriod'),
    preferredBackupWindow: params.string('PreferredBackupWindow'),
    deletionProtection: params.boolean('DeletionProtection'),
    autoMinorVersionUpgrade: params.boolean('AutoMinorVersionUpgrade'),
    copyTagsToSnapshot: params.boolean('CopyTagsToSnapshot'),
    publiclyAccessible: params.boolean('PubliclyAccessible'),
    multiAZ: params.boolean('MultiAZ'),
    dbSubnetGroupName: params.string('DBSubnetGroupName'),
    optionGroupName: params.string('OptionGroupName'),
  };
  const sent = Object.entries(all).filter(([, v]) => v !== undefined);
  return sent.length ? (Object.fromEntries(sent) as InstanceSettingsInput) : undefined;
}
