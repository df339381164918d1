/**
 * The parameters of the `mariadb10.11` family: every server variable of the installed engine
 * (engine/variable-catalogue.ts, read from `information_schema.SYSTEM_VARIABLES`), in RDS's terms,
 * plus the two tlsql applies itself in the front door (`require_secure_transport`, `tls_version`).
 * Which variables tlsql owns, and why, is in docs/parameters.md.
 */
import { AppError } from '../errors/app-error.js';
import { parseTlsVersionParameter } from '../dataplane/tls-policy.js';
import { ENGINE_SETTINGS } from '../engine/mariadb-config.js';
import type { EngineVariableCatalogue, EngineVariableInfo } from '../engine/variable-catalogue.js';
import type { Parameter, ParameterDataType } from '../model/parameter.js';
import { evaluateFormula, isFormula, type FormulaContext } from './parameter-formula.js';
import { PARAMETER_FAMILY } from './parameters.js';

/** A parameter of the family: its RDS fields, default and validator. */
export interface ParameterDef {
  name: string;
  description: string;
  dataType: ParameterDataType;
  applyType: 'static' | 'dynamic';
  /** The value when the group sets none (null: the engine's own, not shown). */
  defaultValue: string | null;
  /** `system` when tlsql sets it (my.cnf or owns it), else `engine-default`. */
  defaultSource: 'engine-default' | 'system';
  allowedValues: string;
  /** False for what tlsql owns, session-only and informational variables (`notModifiable` says why). */
  modifiable: boolean;
  notModifiable?: string;
  /** True for a server variable of the engine (command line at every start, SET GLOBAL when dynamic). */
  engineVariable: boolean;
  /** Returns the canonical value or throws InvalidParameterValue naming the parameter and what is allowed. */
  normalise(v: string): string;
  /** For integer parameters: clamps an evaluated formula into the range. */
  range?: { min: bigint; max: bigint };
}


const OWNED_BY_NAME: Record<string, string> = {
  port: 'the front door owns the endpoint port; the engine listens on no TCP port',
  extra_port: 'the engine listens on no TCP port; the front door is the only way in',
  extra_max_connections: 'the engine listens on no TCP port; the front door is the only way in',
  bind_address: 'the engine listens on no TCP port; the front door is the only way in',
  skip_networking: 'the engine listens on its private socket only; the front door is the only way in',
  socket: 'the engine listens on a private socket tlsql chose',
  proxy_protocol_networks: 'only the front door may send PROXY headers (it carries the client address)',
  skip_name_resolve: 'the front door passes client addresses; the engine does not resolve names',
  unix_socket: 'behind the front door every socket peer is tlsql itself: unix_socket accounts would let anyone in',
  secure_file_priv: 'LOAD DATA INFILE, SELECT INTO OUTFILE and LOAD_FILE stay in the instance directory',
  init_file: 'tlsql runs its own initialisation SQL at first start',
  plugin_dir: 'no loadable plugins: a plugin could open ports or write files outside the instance',
  plugin_maturity: 'no loadable plugins: a plugin could open ports or write files outside the instance',
  datadir: 'the data directory is the instance directory tlsql manages',
  basedir: 'set by the installed engine',
  tmpdir: 'each instance has a private tmpdir (a shared one would let instances delete each other\'s temporary tables)',
  connect_timeout: 'the front door bounds every login itself (frontDoor.handshakeTimeoutMs)',
  have_ssl: 'informational',
  lower_case_table_names: 'fixed when the data directory was created',
  innodb_page_size: 'fixed when the data directory was created',
  innodb_undo_tablespaces: 'fixed when the data directory was created',
  innodb_data_file_path: 'a file path inside the instance directory',
  innodb_temp_data_file_path: 'a file path inside the instance directory',
  log_bin: 'binary logs are always on: any instance can be the source of a read replica or a Multi-AZ primary (docs/replication.md)',
  server_id: 'tlsql gives each engine its own server_id: replication tells source and replica apart by it',
  log_slave_updates: 'always on: a replica can have replicas, and a promoted Multi-AZ standby serves its new standby',
  rpl_semi_sync_master_enabled: 'tlsql turns semi-synchronous replication on for Multi-AZ instances (docs/replication.md)',
  rpl_semi_sync_slave_enabled: 'tlsql turns semi-synchronous replication on for Multi-AZ instances (docs/replication.md)',
  rpl_semi_sync_master_wait_point: 'Multi-AZ acknowledges a commit only once the standby has it (AFTER_SYNC)',
  rpl_semi_sync_master_timeout: 'set from multiAz.semiSyncTimeoutMs in tlsql\'s configuration',
  log_error: 'the error log is a file tlsql reads in the instance directory',
  pid_file: 'a file tlsql reads in the instance directory',
  general_log_file: 'a file path (files stay in the instance directory)',
  slow_query_log_file: 'a file path (files stay in the instance directory)',
  symbolic_links: 'tables stay in the data directory (DATA DIRECTORY could place files anywhere)',
  user: 'the engine runs as the account tlsql chose',
  skip_grant_tables: 'the engine checks every login\'s password; without grant tables anyone would get in',
  allow_suspicious_udfs: 'no loadable code: user-defined functions come from shared libraries',
  ignore_builtin_innodb: 'the instance\'s tables and tlsql\'s accounts need InnoDB',
  innodb_read_only: 'tlsql\'s own account must be able to write (master password, account repairs)',
  innodb_force_recovery: 'tlsql restarts a crashed engine itself; forced recovery leaves it unable to write',
  aria_block_size: 'fixed when the data directory was created (the system tables are Aria tables)',
  memlock: 'the engine runs unprivileged',
};

/** Why tlsql keeps `name` to itself, or undefined when a group may set it. */
export function ownedBy(v: EngineVariableInfo): string | undefined {
  const byName = OWNED_BY_NAME[v.name];
  if (byName !== undefined) return byName;
  if (/^(ssl_|tls_)/.test(v.name)) return 'the front door terminates client TLS with tlsql\'s certificates; the engine\'s TLS is its private link (tls_version is tlsql\'s own parameter)';
  if (/encrypt/.test(v.name)) return 'encryption at rest needs a key management plugin, and tlsql loads no plugins';
  if (/tmpdir$/.test(v.name)) return 'each instance has a private tmpdir inside its directory';
  if (/^wsrep_/.test(v.name)) return 'Galera clustering loads a provider library and opens network connections';
  if (/^debug/.test(v.name)) return 'debug traces write files anywhere';
  if (/^(log_bin|relay_log|binlog_file|log_tc)/.test(v.name)) return 'a file path (files stay in the instance directory)';
  if (/(_dir|_file|_path|_directory|_filename|_basename|_index|_home_dir|dir_path)$/.test(v.name)) return 'a file or directory path (files stay in the instance directory)';
  if (v.type === 'VARCHAR' && v.defaultValue !== null && v.defaultValue.startsWith('/')) return 'a file or directory path (files stay in the instance directory)';
  return undefined;
}

const TRUE = ['1', 'ON', 'TRUE', 'YES'];
const FALSE = ['0', 'OFF', 'FALSE', 'NO'];

function invalid(name: string, v: string, allowed: string): AppError {
  return new AppError('InvalidParameterValue', `Invalid parameter value: ${v} for: ${name} allowed values are: ${allowed}`);
}

function dataTypeOf(v: EngineVariableInfo): ParameterDataType {
  if (v.type === 'BOOLEAN') return 'boolean';
  if (/INT/.test(v.type)) return 'integer';
  if (v.type === 'DOUBLE') return 'float';
  if (v.type === 'SET' || v.type === 'FLAGSET') return 'list';
  return 'string';
}

function booleanValue(v: string | null): string | null {
  if (v === null) return null;
  const u = v.toUpperCase();
  return TRUE.includes(u) ? '1' : FALSE.includes(u) ? '0' : v;
}

/** The RDS definition of one engine variable. */
function engineDef(v: EngineVariableInfo, cat: EngineVariableCatalogue): ParameterDef {
  const dataType = dataTypeOf(v);
  let allowedValues = '';
  let normalise: (x: string) => string;
  let range: ParameterDef['range'];
  const name = v.name;
  if (dataType === 'boolean') {
    allowedValues = '0,1';
    normalise = (x) => {
      const u = x.toUpperCase();
      if (TRUE.includes(u)) return '1';
      if (FALSE.includes(u)) return '0';
      throw invalid(name, x, allowedValues);
    };
  } else if (dataType === 'integer' || dataType === 'float') {
    const min = v.min ?? '0';
    const max = v.max ?? '0';
    allowedValues = `${min}-${max}`;
    if (dataType === 'integer') {
      range = { min: BigInt(min), max: BigInt(max) };
      const r = range;
      normalise = (x) => {
        const t = x.trim();
        if (isFormula(t)) {
          // Checked now against a 1 GiB class, so a typo is refused here rather than at a start.
          evaluateFormula(name, t, { DBInstanceClassMemory: 1n << 30n, DBInstanceVCPU: 2n, AllocatedStorage: 20n << 30n });
          return t;
        }
        if (!/^-?\d+$/.test(t) || BigInt(t) < r.min || BigInt(t) > r.max) throw invalid(name, x, allowedValues);
        return BigInt(t).toString();
      };
    } else {
      normalise = (x) => {
        const t = x.trim();
        if (!/^-?\d+(\.\d+)?$/.test(t) || Number(t) < Number(min) || Number(t) > Number(max)) throw invalid(name, x, allowedValues);
        return String(Number(t));
      };
    }
  } else if (/^character_set_/.test(name) || /^collation_/.test(name)) {
    const members = /^character_set_/.test(name) ? cat.characterSets : cat.collations;
    allowedValues = members.join(',');
    normalise = (x) => {
      const m = members.find((e) => e === x.trim().toLowerCase());
      if (m === undefined) throw invalid(name, x, allowedValues);
      return m;
    };
  } else if (v.type === 'ENUM') {
    const members = v.enumValues ?? [];
    allowedValues = members.join(',');
    normalise = (x) => {
      const m = members.find((e) => e.toUpperCase() === x.trim().toUpperCase());
      if (m === undefined) throw invalid(name, x, allowedValues);
      return m;
    };
  } else if (v.type === 'SET') {
    const members = v.enumValues ?? [];
    allowedValues = members.join(',');
    normalise = (x) => {
      const parts = x.split(',').map((p) => p.trim()).filter((p) => p !== '');
      return parts
        .map((p) => {
          const m = members.find((e) => e.toUpperCase() === p.toUpperCase());
          if (m === undefined) throw invalid(name, x, `a comma-separated list of ${allowedValues}`);
          return m;
        })
        .join(',');
    };
  } else if (v.type === 'FLAGSET') {
    const flags = (v.enumValues ?? []).filter((f) => f !== 'default');
    allowedValues = flags.join(',');
    normalise = (x) =>
      x
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p !== '')
        .map((p) => {
          const m = /^([a-z_]+)=(on|off|default)$/i.exec(p);
          if (!(m && flags.includes(m[1]!.toLowerCase())) && p.toLowerCase() !== 'default') throw invalid(name, x, `a comma-separated list of flag=on|off|default, flags ${allowedValues}`);
          return p.toLowerCase();
        })
        .join(',');
  } else if (name === 'time_zone') {
    // Named zones need time zone tables the instances do not load: an unknown one stops the engine.
    allowedValues = 'SYSTEM, or an offset from -12:59 to +13:00 (e.g. +00:00)';
    normalise = (x) => {
      const t = x.trim();
      if (t.toUpperCase() === 'SYSTEM') return 'SYSTEM';
      const m = /^([+-])(\d{1,2}):(\d{2})$/.exec(t);
      const minutes = m ? (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1) : NaN;
      if (!m || Number(m[3]) > 59 || minutes < -779 || minutes > 780) throw invalid(name, x, allowedValues);
      return `${m[1]}${m[2]!.padStart(2, '0')}:${m[3]}`;
    };
  } else {
    normalise = (x) => {
      if (!/^[\x20-\x7e]{0,1024}$/.test(x)) throw invalid(name, x, 'printable ASCII text, at most 1024 characters');
      return x;
    };
  }
  const owned = ownedBy(v);
  const notModifiable =
    owned ??
    (v.scope === 'SESSION ONLY'
      ? 'session-only: set it in the session (SET SESSION)'
      : v.readOnly && v.commandLine === null && !['time_zone', 'character_set_server', 'collation_server'].includes(name)
        ? 'informational: the engine reports it and cannot be configured'
        : undefined);
  const system = ENGINE_SETTINGS[name];
  const defaultValue = system ?? (dataType === 'boolean' ? booleanValue(v.defaultValue) : v.defaultValue);
  const comment = v.comment.trim() || `MariaDB server variable ${name}.`;
  return {
    name,
    description: owned !== undefined ? `${comment} Set by tlsql: ${owned}.` : comment,
    dataType,
    applyType: v.readOnly ? 'static' : 'dynamic',
    defaultValue: owned !== undefined ? null : defaultValue,
    defaultSource: owned !== undefined || system !== undefined ? 'system' : 'engine-default',
    allowedValues,
    modifiable: notModifiable === undefined,
    notModifiable,
    engineVariable: true,
    normalise,
    range,
  };
}

/** What the front door applies itself (the engine's variables of the same names are tlsql's). */
const FRONT_DOOR_DEFS: ParameterDef[] = [
  {
    name: 'require_secure_transport',
    description: 'Whether client connections to the server are required to use some form of secure transport.',
    dataType: 'boolean',
    applyType: 'dynamic',
    defaultValue: '0',
    defaultSource: 'engine-default',
    allowedValues: '0,1',
    modifiable: true,
    // Enforced by the front door (dataplane/session.ts), which sees whether the client used TLS.
    engineVariable: false,
    normalise: (v) => {
      const u = v.toUpperCase();
      if (['1', 'ON', 'TRUE'].includes(u)) return '1';
      if (['0', 'OFF', 'FALSE'].includes(u)) return '0';
      throw invalid('require_secure_transport', v, '0,1');
    },
  },
  {
    name: 'tls_version',
    description: 'TLS protocol versions the endpoint accepts (MariaDB tokens). TLSv1.0/TLSv1.1 are insecure and only for legacy clients.',
    dataType: 'string',
    applyType: 'static',
    defaultValue: 'TLSv1.2,TLSv1.3',
    defaultSource: 'engine-default',
    allowedValues: 'TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3',
    modifiable: true,
    // The front door terminates client TLS; the engine's own link to it is internal.
    engineVariable: false,
    normalise: (v) => parseTlsVersionParameter(v).join(','),
  },
];

/** The family's parameters in name order, for lookups, effective values and DescribeDBParameters. */
export class ParameterCatalogue {
  readonly defs: readonly ParameterDef[];
  private readonly byName: Map<string, ParameterDef>;

  constructor(engine: EngineVariableCatalogue) {
    const own = new Set(FRONT_DOOR_DEFS.map((d) => d.name));
    const defs = [...FRONT_DOOR_DEFS, ...engine.variables.filter((v) => !own.has(v.name)).map((v) => engineDef(v, engine))];
    const maxConnections = defs.find((d) => d.name === 'max_connections');
    if (maxConnections) {
      // tlsql's range since before the catalogue (MariaDB raises values under 10 to 10).
      maxConnections.allowedValues = '1-100000';
      maxConnections.range = { min: 1n, max: 100000n };
      const base = maxConnections.normalise;
      maxConnections.normalise = (v) => {
        const t = v.trim();
        if (!isFormula(t) && (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 100000)) throw invalid('max_connections', v, '1-100000');
        return base(t);
      };
    }
    this.defs = defs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.byName = new Map(this.defs.map((d) => [d.name, d]));
  }

  /** The definition of `name`; unknown names are InvalidParameterValue. */
  get(name: string): ParameterDef {
    const d = this.byName.get(name);
    if (!d) throw new AppError('InvalidParameterValue', `Unknown parameter ${name}: not a parameter of ${PARAMETER_FAMILY} (DescribeEngineDefaultParameters lists them)`);
    return d;
  }

  /** The definition of `name` after checking a group may set it (InvalidParameterValue naming it and why not). */
  modifiable(name: string): ParameterDef {
    const d = this.get(name);
    if (!d.modifiable) throw new AppError('InvalidParameterValue', `The parameter ${name} cannot be modified: ${d.notModifiable}.`);
    return d;
  }

  /**
   * The server variables for an instance of a group: tlsql's my.cnf values, overlaid with the
   * group's user values (formulas evaluated against the instance's class). A variable left out
   * runs with the engine's default. Values are what mariadbd takes on its command line and in SET GLOBAL.
   */
  engineVariables(userValues: Map<string, string | null>, ctx: FormulaContext): Record<string, string> {
    const out: Record<string, string> = {};
    // tlsql's my.cnf values too, so that a reset puts them back on a running engine.
    for (const [name, value] of Object.entries(ENGINE_SETTINGS)) if (this.byName.get(name)?.modifiable) out[name] = value;
    for (const [name, value] of userValues) {
      const d = this.byName.get(name);
      if (!d || !d.engineVariable || !d.modifiable || value === null) continue;
      if (isFormula(value) && d.range) {
        let n = evaluateFormula(name, value, ctx);
        if (n < d.range.min) n = d.range.min;
        if (n > d.range.max) n = d.range.max;
        out[name] = n.toString();
      } else out[name] = value;
    }
    return out;
  }

  /** Effective value of `name` in a group (user value over default). */
  value(userValues: Map<string, string | null>, name: string): string | null {
    return userValues.has(name) ? userValues.get(name)! : (this.byName.get(name)?.defaultValue ?? null);
  }

  /** DescribeDBParameters rows of a group (DescribeEngineDefaultParameters: no user values). */
  describe(userValues: Map<string, string | null>, isDefaultGroup: boolean): Parameter[] {
    return this.defs.map((d) => {
      const user = userValues.has(d.name);
      return {
        name: d.name,
        value: user ? userValues.get(d.name)! : d.defaultValue,
        description: d.description,
        source: user ? 'user' : d.defaultSource,
        applyType: d.applyType,
        dataType: d.dataType,
        allowedValues: d.allowedValues,
        isModifiable: d.modifiable && !isDefaultGroup,
        minimumEngineVersion: '10.11.0',
        ...(user ? { applyMethod: d.applyType === 'static' ? ('pending-reboot' as const) : ('immediate' as const) } : {}),
      };
    });
  }
}
