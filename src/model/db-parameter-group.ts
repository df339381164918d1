/** A stored DB parameter group (store/store.ts), without the names the API derives from it. */
export interface ParameterGroupRecord {
  name: string;
  /** e.g. `mariadb10.11`. */
  family: string;
  description: string;
}

/** A DB parameter group as described to callers (RDS `DBParameterGroup`). */
export interface DbParameterGroup extends ParameterGroupRecord {
  arn: string;
}
