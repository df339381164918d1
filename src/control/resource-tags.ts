/**
 * Tags by ARN (AddTagsToResource, ListTagsForResource, RemoveTagsFromResource) on the three kinds of
 * resource tlsql keeps: DB instances (`:db:`), DB parameter groups (`:pg:`), DB security groups
 * (`:secgrp:`) and DB subnet groups (`:subgrp:`). An instance's tags live in its document, changed under the instance lock like every
 * other change to it; the groups' tags live in `resource_tags` (store/tag-store.ts) and go with the
 * group. RDS's limits: 50 tags per resource, key 1-128 and value 0-256 characters, `aws:` reserved.
 */
import { AppError } from '../errors/app-error.js';
import type { KeyedLock } from '../lib/keyed-lock.js';
import type { Tag } from '../model/tag.js';
import type { Store } from '../store/store.js';
import type { TagStore } from '../store/tag-store.js';

/** Tags per resource, as RDS allows. */
export const MAX_TAGS_PER_RESOURCE = 50;

/**
 * Checks tags given on a create or AddTagsToResource, and returns them with a key given twice
 * collapsed to its last value (as RDS keeps it).
 */
export function validateTags(tags: readonly Tag[]): Tag[] {
  const byKey = new Map<string, string>();
  for (const t of tags) {
    if (t.key.length < 1 || t.key.length > 128) throw new AppError('InvalidParameterValue', `Invalid tag key ${JSON.stringify(t.key)}: a key is 1 to 128 characters.`);
    if (/^aws:/i.test(t.key)) throw new AppError('InvalidParameterValue', `Invalid tag key ${JSON.stringify(t.key)}: keys beginning with "aws:" are reserved.`);
    if (t.value.length > 256) throw new AppError('InvalidParameterValue', `Invalid tag value for key ${JSON.stringify(t.key)}: a value is at most 256 characters.`);
    byKey.set(t.key, t.value);
  }
  return [...byKey].map(([key, value]) => ({ key, value }));
}

/** The merged tag set, or InvalidParameterValue past RDS's 50. */
function merged(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const byKey = new Map(existing.map((t) => [t.key, t.value]));
  for (const t of added) byKey.set(t.key, t.value);
  if (byKey.size > MAX_TAGS_PER_RESOURCE) {
    throw new AppError('InvalidParameterValue', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${byKey.size}.`);
  }
  return [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, value]) => ({ key, value }));
}

/** Tags given on a Create* action: checked, duplicates collapsed, at most 50. */
export function tagsForNewResource(tags: readonly Tag[] | undefined): Tag[] {
  return merged([], validateTags(tags ?? []));
}

/**
 * A resolved resource with its canonical ARN: identifiers and group names are case-insensitive and
 * stored lower-cased, so an ARN spelt with capitals names the same resource and its tags are kept
 * under the lower-cased ARN (the one the group's create and delete paths use).
 */
type Resource = ({ kind: 'db'; id: string } | { kind: 'pg'; name: string } | { kind: 'secgrp'; name: string } | { kind: 'subgrp'; name: string }) & { arn: string };

export interface ResourceTagsDeps {
  store: Store;
  tags: TagStore;
  region: string;
  accountId: string;
  /** The instance lock shared with every other per-instance operation. */
  lock: KeyedLock;
  /** Whether a DB security group of this (lower-case) name exists. */
  securityGroupExists: (name: string) => boolean;
  /** Whether a DB subnet group of this (lower-case) name exists (`default` always does). */
  subnetGroupExists: (name: string) => boolean;
}

/** See the file comment. */
export class ResourceTags {
  constructor(private readonly d: ResourceTagsDeps) {}

  async list(q: { resourceName: string }): Promise<Tag[]> {
    const r = this.resolve(q.resourceName);
    if (r.kind === 'db') return this.instance(r.id).tags ?? [];
    return this.d.tags.list(r.arn);
  }

  async add(q: { resourceName: string; tags: readonly Tag[] }): Promise<void> {
    if (q.tags.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter Tags');
    const added = validateTags(q.tags);
    const r = this.resolve(q.resourceName);
    if (r.kind === 'db') {
      await this.d.lock.run(r.id, async () => {
        const inst = this.instance(r.id);
        inst.tags = merged(inst.tags ?? [], added);
        this.d.store.updateInstance(inst);
      });
      return;
    }
    this.d.store.tx(() => {
      merged(this.d.tags.list(r.arn), added);
      this.d.tags.put(r.arn, added);
    });
  }

  async remove(q: { resourceName: string; tagKeys: readonly string[] }): Promise<void> {
    if (q.tagKeys.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter TagKeys');
    const r = this.resolve(q.resourceName);
    if (r.kind === 'db') {
      await this.d.lock.run(r.id, async () => {
        const inst = this.instance(r.id);
        const gone = new Set(q.tagKeys);
        inst.tags = (inst.tags ?? []).filter((t) => !gone.has(t.key));
        this.d.store.updateInstance(inst);
      });
      return;
    }
    this.d.tags.remove(r.arn, q.tagKeys);
  }

  /** The group's ARN as this service names it, for the groups' create and delete paths. */
  parameterGroupArn(name: string): string {
    return `arn:aws:rds:${this.d.region}:${this.d.accountId}:pg:${name}`;
  }

  securityGroupArn(name: string): string {
    return `arn:aws:rds:${this.d.region}:${this.d.accountId}:secgrp:${name}`;
  }

  private resolve(arn: string): Resource {
    if (!arn) throw new AppError('MissingParameter', 'The request must contain the parameter ResourceName');
    const m = /^arn:aws:rds:([^:]*):([^:]*):(db|pg|secgrp|subgrp):(.+)$/.exec(arn);
    if (!m) {
      throw new AppError('InvalidParameterValue', `${arn} is not the ARN of a tlsql resource: expected arn:aws:rds:${this.d.region}:${this.d.accountId}:db:<DB instance identifier> (or :pg: for a parameter group, :secgrp: for a DB security group, :subgrp: for a DB subnet group).`);
    }
    const [, region, account, kind] = m;
    const name = m[4]!.toLowerCase();
    const canonical = `arn:aws:rds:${region}:${account}:${kind}:${name}`;
    if (region !== this.d.region || account !== this.d.accountId) {
      throw new AppError('InvalidParameterValue', `${arn} names region ${region || '(none)'} and account ${account || '(none)'}; this endpoint serves region ${this.d.region}, account ${this.d.accountId}.`);
    }
    if (kind === 'db') {
      this.instance(name);
      return { kind, id: name, arn: canonical };
    }
    if (kind === 'pg') {
      if (!this.d.store.getParameterGroup(name)) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${m[4]}`);
      return { kind, name, arn: canonical };
    }
    if (kind === 'subgrp') {
      if (!this.d.subnetGroupExists(name)) throw new AppError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${m[4]}' not found.`);
      return { kind, name, arn: canonical };
    }
    if (!this.d.securityGroupExists(name)) throw new AppError('DBSecurityGroupNotFound', `DBSecurityGroup ${m[4]} not found.`);
    return { kind: 'secgrp', name, arn: canonical };
  }

  private instance(id: string) {
    const inst = this.d.store.getInstance(id);
    if (!inst) throw new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
    return inst;
  }
}
