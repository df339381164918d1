/** Where a parameter's value comes from (RDS `Source`). */
export type ParameterSource = 'engine-default' | 'user' | 'system';

/** RDS `DataType` of a parameter. */
export type ParameterDataType = 'boolean' | 'integer' | 'float' | 'string' | 'list';

/** One parameter of a DB parameter group, as DescribeDBParameters lists it. */
export interface Parameter {
  name: string;
  value: string | null;
  description: string;
  source: ParameterSource;
  applyType: 'static' | 'dynamic';
  dataType: ParameterDataType;
  allowedValues: string;
  isModifiable: boolean;
  minimumEngineVersion: string;
  /** Only for modifications in a request: how to apply. */
  applyMethod?: 'immediate' | 'pending-reboot';
}

/** One requested change of ModifyDBParameterGroup / ResetDBParameterGroup. A null value resets to the default. */
export interface ParameterChange {
  name: string;
  value: string | null;
  applyMethod: 'immediate' | 'pending-reboot';
}
