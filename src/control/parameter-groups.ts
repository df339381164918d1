/**
 * DB parameter groups: CreateDBParameterGroup, CopyDBParameterGroup, DescribeDBParameterGroups,
 * DeleteDBParameterGroup, ModifyDBParameterGroup, ResetDBParameterGroup, DescribeDBParameters and
 * DescribeEngineDefaultParameters. The parameters, their defaults and validators are in
 * parameter-catalogue.ts (derived from the installed engine).
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { DbParameterGroup, ParameterGroupRecord } from '../model/db-parameter-group.js';
import type { Parameter, ParameterChange, ParameterSource } from '../model/parameter.js';
import type { Tag } from '../model/tag.js';
import type { Store } from '../store/store.js';
import { TagStore } from '../store/tag-store.js';
import { tagsForNewResource } from './resource-tags.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { DEFAULT_PARAMETER_GROUP, PARAMETER_FAMILY } from './parameters.js';
import type { ParameterCatalogue } from './parameter-catalogue.js';

/** The store of groups and values, and the runtime that applies dynamic changes to running engines. */
export interface ParameterGroupsDeps {
  store: Store;
  runtime: InstanceRuntime;
  clock: Clock;
  logger: Logger;
  region: string;
  accountId: string;
  /** The instance lock shared with every other per-instance operation (tlsql-control-plane.ts). */
  lock: KeyedLock;
}

/** The parameter group services; the default group always exists and cannot be changed. */
export class ParameterGroups {
  private readonly tags: TagStore;

  constructor(private readonly d: ParameterGroupsDeps) {
    this.tags = new TagStore(d.store);
    d.store.insertParameterGroup({ name: DEFAULT_PARAMETER_GROUP, family: PARAMETER_FAMILY, description: `Default parameter group for ${PARAMETER_FAMILY}`, createdAt: d.clock.now() });
  }

  private catalogue(): Promise<ParameterCatalogue> {
    return this.d.runtime.parameterCatalogue();
  }

  private arn(name: string): string {
    return `arn:aws:rds:${this.d.region}:${this.d.accountId}:pg:${name}`;
  }

  private mustGet(name: string | undefined): ParameterGroupRecord {
    if (!name) throw new AppError('MissingParameter', 'The request must contain the parameter DBParameterGroupName');
    const g = this.d.store.getParameterGroup(name);
    if (!g) throw new AppError('DBParameterGroupNotFound', `DBParameterGroup not found: ${name}`);
    return g;
  }

  private static checkName(name: string, param = 'DBParameterGroupName'): void {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,254}$/.test(name) || name.endsWith('-') || name.includes('--')) {
      throw new AppError('InvalidParameterValue', `The parameter ${param} is not a valid identifier: it must begin with a letter, contain only letters, digits and hyphens, and not end with a hyphen or contain two consecutive hyphens.`);
    }
  }

  /** CreateDBParameterGroup: the name is lower-cased; only the installed family is supported. */
  async create(q: { name: string; family: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    if (!q.name) throw new AppError('MissingParameter', 'The request must contain the parameter DBParameterGroupName');
    ParameterGroups.checkName(q.name);
    if (q.family !== PARAMETER_FAMILY) throw new AppError('InvalidParameterValue', `ParameterGroupFamily ${q.family} is not supported. Supported: ${PARAMETER_FAMILY}.`);
    if (!q.description) throw new AppError('MissingParameter', 'The request must contain the parameter Description');
    const tags = tagsForNewResource(q.tags);
    const name = q.name.toLowerCase();
    this.d.store.tx(() => {
      if (!this.d.store.insertParameterGroup({ name, family: q.family, description: q.description, createdAt: this.d.clock.now() })) {
        throw new AppError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
      }
      this.tags.put(this.arn(name), tags);
    });
    return { name, family: q.family, description: q.description, arn: this.arn(name) };
  }

  /**
   * CopyDBParameterGroup: a new group with the source's family, user values and tags (the request's
   * Tags added, replacing those with the same key). The source is a name or this account's ARN.
   */
  async copy(q: { source: string; target: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup> {
    if (!q.source) throw new AppError('MissingParameter', 'The request must contain the parameter SourceDBParameterGroupIdentifier');
    if (!q.target) throw new AppError('MissingParameter', 'The request must contain the parameter TargetDBParameterGroupIdentifier');
    if (!q.description) throw new AppError('MissingParameter', 'The request must contain the parameter TargetDBParameterGroupDescription');
    const arnPrefix = `arn:aws:rds:${this.d.region}:${this.d.accountId}:pg:`;
    let sourceName = q.source;
    if (q.source.startsWith('arn:')) {
      if (!q.source.startsWith(arnPrefix)) throw new AppError('InvalidParameterValue', `The parameter SourceDBParameterGroupIdentifier ${q.source} is not a parameter group ARN of this account and region (${arnPrefix}<name>).`);
      sourceName = q.source.slice(arnPrefix.length);
    }
    const source = this.mustGet(sourceName);
    ParameterGroups.checkName(q.target, 'TargetDBParameterGroupIdentifier');
    // The source's tags, then the request's (same key: the request's value); at most 50 in all.
    const tags = tagsForNewResource([...this.tags.list(this.arn(source.name)), ...(q.tags ?? [])]);
    const name = q.target.toLowerCase();
    const values = [...this.d.store.getParameters(source.name)].map(([n, value]) => ({ name: n, value }));
    this.d.store.tx(() => {
      if (!this.d.store.insertParameterGroup({ name, family: source.family, description: q.description, createdAt: this.d.clock.now() })) {
        throw new AppError('DBParameterGroupAlreadyExists', `Parameter group ${name} already exists`);
      }
      if (values.length) this.d.store.setParameters(name, values);
      this.tags.put(this.arn(name), tags);
    });
    return { name, family: source.family, description: q.description, arn: this.arn(name) };
  }

  /** DescribeDBParameterGroups: one by name, or all in name order. */
  async describe(q: { name?: string }): Promise<DbParameterGroup[]> {
    const groups = q.name !== undefined ? [this.mustGet(q.name)] : this.d.store.listParameterGroups();
    return groups.map((g) => ({ ...g, arn: this.arn(g.name) }));
  }

  /** DeleteDBParameterGroup: refused for the default group and while an instance uses it. */
  async delete(q: { name: string }): Promise<void> {
    const g = this.mustGet(q.name);
    if (g.name === DEFAULT_PARAMETER_GROUP) throw new AppError('InvalidParameterValue', 'Default parameter groups cannot be deleted.');
    const users = this.d.store.listInstances().filter((i) => i.parameterGroup.name === g.name);
    if (users.length) throw new AppError('InvalidDBParameterGroupState', `One or more DB instances are still members of this parameter group ${g.name}: ${users.map((i) => i.id).join(', ')}`);
    this.d.store.tx(() => {
      this.d.store.deleteParameterGroup(g.name);
      this.tags.deleteAll(this.arn(g.name));
    });
  }

  private async validateChanges(changes: ParameterChange[]): Promise<{ name: string; value: string | null }[]> {
    if (changes.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter Parameters');
    if (changes.length > 20) throw new AppError('InvalidParameterValue', 'At most 20 parameters can be modified in one request.');
    const cat = await this.catalogue();
    return changes.map((c) => {
      const def = cat.modifiable(c.name);
      if (def.applyType === 'static' && c.applyMethod === 'immediate') {
        throw new AppError('InvalidParameterCombination', `cannot use immediate apply method for static parameter ${c.name}`);
      }
      return { name: c.name, value: c.value === null ? null : def.normalise(c.value) };
    });
  }

  /** ModifyDBParameterGroup (at most 20 changes, all valid or none applied); returns the group name. */
  async modify(q: { name: string; parameters: ParameterChange[] }): Promise<string> {
    const g = this.mustGet(q.name);
    if (g.name === DEFAULT_PARAMETER_GROUP) throw new AppError('InvalidParameterValue', `The parameter group ${g.name} is a default group and cannot be modified; create your own group.`);
    const values = await this.validateChanges(q.parameters);
    this.d.store.setParameters(g.name, values);
    // Dynamic parameters asked for with pending-reboot wait for the reboot, as on RDS.
    await this.afterChange(g.name, values.map((v) => v.name), q.parameters.every((c) => c.applyMethod === 'pending-reboot'));
    return g.name;
  }

  /** ResetDBParameterGroup: every parameter, or the listed ones, back to the default; returns the group name. */
  async reset(q: { name: string; resetAll?: boolean; parameters?: ParameterChange[] }): Promise<string> {
    const g = this.mustGet(q.name);
    if (q.resetAll && q.parameters?.length) throw new AppError('InvalidParameterCombination', 'Specify either ResetAllParameters or Parameters, not both.');
    if (!q.resetAll && !q.parameters?.length) throw new AppError('MissingParameter', 'The request must contain ResetAllParameters or Parameters');
    const cat = await this.catalogue();
    const names = q.resetAll ? [...this.d.store.getParameters(g.name).keys()] : q.parameters!.map((p) => cat.modifiable(p.name).name);
    this.d.store.resetParameters(g.name, q.resetAll ? 'all' : names);
    await this.afterChange(g.name, names, !q.resetAll && q.parameters!.every((c) => c.applyMethod === 'pending-reboot'));
    return g.name;
  }

  /**
   * Static changes mark members pending-reboot. Dynamic ones are live at once: the front door reads
   * its own per login, and engine variables are set on the running engine and recorded for every
   * later engine start (instance-runtime.ts startEngine), so a reboot or crash restart keeps them.
   * A member that joins the group only at its next reboot still runs its previous group's values.
   * With `atReboot` (every change asked for pending-reboot) no engine variable is set on running
   * engines: members are pending-reboot and get the values from their next start.
   */
  private async afterChange(group: string, names: string[], atReboot = false): Promise<void> {
    const cat = await this.catalogue();
    // A stored name the engine no longer has (after an engine upgrade) changes nothing on it.
    const defs = cat.defs.filter((d) => names.includes(d.name));
    // The front door reads its own parameters per login: they are live whatever the method.
    const engineChange = defs.some((d) => d.engineVariable);
    const hasStatic = defs.some((d) => d.applyType === 'static') || (atReboot && engineChange);
    for (const { id } of this.d.store.listInstances().filter((i) => i.parameterGroup.name === group)) {
      // Under the instance lock, on the document as it is then: applying to the engine can take as
      // long as an engine start, and a Modify, Reboot, Stop or tag change made meanwhile must not
      // be overwritten by a copy read before it (the same rule as subnetGroupChanged in
      // tlsql-control-plane.ts). Only the parameter group's apply status is written.
      await this.d.lock.run(id, async () => {
        const inst = this.d.store.getInstance(id);
        // Deleted, or moved to another group, while waiting for the lock.
        if (inst?.parameterGroup.name !== group) return;
        let applyStatus = hasStatic ? 'pending-reboot' : inst.parameterGroup.applyStatus;
        const joining = inst.pendingModifiedValues.dbParameterGroupName === group;
        if (engineChange && !atReboot && !joining && inst.status !== 'deleting') {
          try {
            await this.d.runtime.applyEngineParameters(inst);
          } catch (e) {
            // Recorded for the next start all the same; until then the running engine has the old value.
            this.d.logger.warn('applying parameters to the running engine failed; they apply at the next reboot', { instance: inst.id, err: e as Error });
            applyStatus = 'pending-reboot';
          }
        }
        if (applyStatus !== inst.parameterGroup.applyStatus) {
          inst.parameterGroup = { name: group, applyStatus };
          this.d.store.updateInstance(inst);
        }
      });
    }
  }

  /** DescribeDBParameters of a group in name order, optionally only those from `source`. */
  async describeParameters(q: { name: string; source?: ParameterSource }): Promise<Parameter[]> {
    const g = this.mustGet(q.name);
    const params = (await this.catalogue()).describe(this.d.store.getParameters(g.name), g.name === DEFAULT_PARAMETER_GROUP);
    return q.source ? params.filter((p) => p.source === q.source) : params;
  }

  /** DescribeEngineDefaultParameters: the family's parameters as a new group has them. */
  async engineDefaults(q: { family: string }): Promise<Parameter[]> {
    if (!q.family) throw new AppError('MissingParameter', 'The request must contain the parameter DBParameterGroupFamily');
    if (q.family !== PARAMETER_FAMILY) throw new AppError('InvalidParameterValue', `ParameterGroupFamily ${q.family} is not supported. Supported: ${PARAMETER_FAMILY}.`);
    return (await this.catalogue()).describe(new Map(), false);
  }
}
