import { AppError } from '../errors/app-error.js';
import { parseTlsVersionParameter } from '../dataplane/tls-policy.js';
import type { Parameter } from '../model/parameter.js';

/** A parameter tlsql knows: its default, type, how it applies, and its validator. */
interface ParameterDef {
  name: string;
  description: string;
  dataType: 'boolean' | 'string' | 'integer';
  applyType: 'static' | 'dynamic';
  defaultValue: string | null;
  allowedValues: string;
  /**
   * True for a server variable of the engine (passed to mariadbd at every start and set on the
   * running engine when dynamic); false for what the front door applies itself.
   */
  engineVariable: boolean;
  /** Returns the canonical value or throws InvalidParameterValue. */
  normalise(v: string): string;
}

function booleanParam(name: string, v: string): string {
  const u = v.toUpperCase();
  if (['1', 'ON', 'TRUE'].includes(u)) return '1';
  if (['0', 'OFF', 'FALSE'].includes(u)) return '0';
  throw new AppError('InvalidParameterValue', `Invalid parameter value: ${v} for: ${name} allowed values are: 0,1`);
}

function intParam(name: string, min: number, max: number) {
  return (v: string) => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new AppError('InvalidParameterValue', `Invalid parameter value: ${v} for: ${name} allowed values are: ${min}-${max}`);
    }
    return String(Number(v));
  };
}

/** Parameters of the `mariadb10.11` family that tlsql stores, validates and applies. */
export const PARAMETER_DEFS: readonly ParameterDef[] = [
  {
    name: 'require_secure_transport',
    description: 'Whether client connections to the server are required to use some form of secure transport.',
    dataType: 'boolean',
    applyType: 'dynamic',
    defaultValue: '0',
    allowedValues: '0,1',
    // Enforced by the front door (dataplane/session.ts), which sees whether the client used TLS.
    engineVariable: false,
    normalise: (v) => booleanParam('require_secure_transport', v),
  },
  {
    name: 'tls_version',
    description: 'TLS protocol versions the endpoint accepts (MariaDB tokens). TLSv1.0/TLSv1.1 are insecure and only for legacy clients.',
    dataType: 'string',
    applyType: 'static',
    defaultValue: 'TLSv1.2,TLSv1.3',
    allowedValues: 'TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3',
    // The front door terminates client TLS; the engine's own link to it is internal.
    engineVariable: false,
    normalise: (v) => parseTlsVersionParameter(v).join(','),
  },
  {
    name: 'max_connections',
    description: 'The maximum permitted number of simultaneous client connections.',
    dataType: 'integer',
    applyType: 'dynamic',
    defaultValue: '1000',
    allowedValues: '1-100000',
    engineVariable: true,
    normalise: intParam('max_connections', 1, 100000),
  },
];

export const PARAMETER_FAMILY = 'mariadb10.11';
export const DEFAULT_PARAMETER_GROUP = `default.${PARAMETER_FAMILY}`;

export function parameterDef(name: string): ParameterDef {
  const d = PARAMETER_DEFS.find((p) => p.name === name);
  if (!d) throw new AppError('InvalidParameterValue', `Unknown parameter ${name}: supported parameters are ${PARAMETER_DEFS.map((p) => p.name).join(', ')}`);
  return d;
}

/** Effective values of a group: defaults overlaid with the group's user values. */
export function effectiveParameters(userValues: Map<string, string | null>): Map<string, string | null> {
  const m = new Map<string, string | null>();
  for (const d of PARAMETER_DEFS) m.set(d.name, userValues.has(d.name) ? userValues.get(d.name)! : d.defaultValue);
  return m;
}

/** The engine server variables among effective values (`max_connections` -> value); null values are left to the engine's default. */
export function engineVariables(effective: Map<string, string | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of PARAMETER_DEFS) {
    const v = effective.get(d.name);
    if (d.engineVariable && v !== null && v !== undefined) out[d.name] = v;
  }
  return out;
}

export function describeParameters(userValues: Map<string, string | null>, isDefaultGroup: boolean): Parameter[] {
  return PARAMETER_DEFS.map((d) => ({
    name: d.name,
    value: userValues.has(d.name) ? userValues.get(d.name)! : d.defaultValue,
    description: d.description,
    source: userValues.has(d.name) ? 'user' : 'engine-default',
    applyType: d.applyType,
    dataType: d.dataType,
    allowedValues: d.allowedValues,
    isModifiable: !isDefaultGroup,
    minimumEngineVersion: '10.11.0',
  }));
}
