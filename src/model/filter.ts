/** A Describe* filter, as RDS `Filter`: a resource matches when it has one of `values` for `name`. */
export interface Filter {
  name: string;
  values: string[];
}
