/** Option specs shared by several RDS commands (filters, tags, parameters, waiting). */

import type { StructureShape } from '../options.js';

export const filterShape = { Name: 'string', Values: 'string-list' } as const satisfies StructureShape;
export const tagShape = { Key: 'string', Value: 'string' } as const satisfies StructureShape;
/** Every member of an RDS Parameter, so `describe-db-parameters` JSON can be fed back in. */
export const parameterShape = {
  ParameterName: 'string',
  ParameterValue: 'string',
  ApplyMethod: 'string',
  Description: 'string',
  Source: 'string',
  ApplyType: 'string',
  DataType: 'string',
  AllowedValues: 'string',
  IsModifiable: 'boolean',
  MinimumEngineVersion: 'string',
  SupportedEngineModes: 'string-list',
} as const satisfies StructureShape;

export const filtersOption = {
  name: 'filters',
  type: 'structure-list',
  member: 'Filters',
  structure: filterShape,
  metavar: 'Name=string,Values=string,string ...',
  help: 'Filters, e.g. `Name=engine,Values=mariadb Name=db-instance-id,Values=a,b` or JSON `[{"Name":"engine","Values":["mariadb"]}]`.',
} as const;

export const tagsOption = {
  name: 'tags',
  type: 'structure-list',
  member: 'Tags',
  structure: tagShape,
  metavar: 'Key=string,Value=string ...',
  help: 'Tags, e.g. `Key=team,Value=payments Key=env,Value=dev` or JSON `[{"Key":"team","Value":"payments"}]`.',
} as const;

export const parametersOption = {
  name: 'parameters',
  type: 'structure-list',
  member: 'Parameters',
  structure: parameterShape,
  metavar: 'ParameterName=string,ParameterValue=string,ApplyMethod=string ...',
  help:
    'Parameters to change, e.g. `ParameterName=require_secure_transport,ParameterValue=ON,ApplyMethod=immediate` ' +
    '(ApplyMethod immediate | pending-reboot), or a JSON array of Parameter objects. A comma list given to ' +
    'ParameterValue is kept as one value: `ParameterValue=TLSv1.2,TLSv1.3`.',
} as const;

export const waitOption = {
  name: 'wait',
  type: 'boolean',
  help: 'Wait until the instance reaches the resulting state, showing progress on stderr when on a terminal.',
} as const;
