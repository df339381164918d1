import type { ParameterChange } from '../../model/parameter.js';
import type { QueryReader } from '../query.js';

const applyMethods = ['immediate', 'pending-reboot'] as const;

/**
 * `Parameters.Parameter.N.{ParameterName,ParameterValue,ApplyMethod}` as used by
 * ModifyDBParameterGroup and ResetDBParameterGroup. ParameterName and ApplyMethod are required
 * per entry; an absent ParameterValue is null.
 */
export function readParameterChanges(params: QueryReader): ParameterChange[] | undefined {
  return params.list('Parameters', 'Parameter')?.map((p) => {
    const name = p.requiredString('ParameterName');
    const applyMethod = p.requiredOneOf('ApplyMethod', applyMethods);
    return { name, value: p.string('ParameterValue') ?? null, applyMethod };
  });
}
