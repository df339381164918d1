/** A resource tag, as RDS `Tag` (`Key`, `Value`). Keys never start with `aws:`. */
export interface Tag {
  key: string;
  value: string;
}
