/**
 * Option specifications: every command declares its options as data, and one generic parser
 * (parse-args.ts) and one help generator (help.ts) work from them.
 */

/** What an option's value is; each kind has one parser. */
export type OptionType =
  /** One token. */
  | 'string'
  /** One token, a base-10 integer. */
  | 'integer'
  /** `--x` / `--no-x`; takes no value. */
  | 'boolean'
  /** ISO 8601 (`2026-01-02T03:04:05Z`) or seconds since the epoch. */
  | 'timestamp'
  /** One or more tokens (`a b`, `a,b` or a JSON array). */
  | 'string-list'
  /** One or more structures in AWS shorthand (`Key=a,Value=b`) or one JSON array of objects. */
  | 'structure-list';

/** Kinds of the members of a structure (a Filter, a Tag, a Parameter). */
export type MemberType = 'string' | 'string-list' | 'integer' | 'boolean';

/** A structure's members by their PascalCase wire names, as the AWS CLI accepts them. */
export type StructureShape = Readonly<Record<string, MemberType>>;

export interface OptionSpec {
  /** kebab-case, without the leading `--`, e.g. `db-instance-identifier`. */
  readonly name: string;
  readonly type: OptionType;
  /** One or two sentences for `help`. */
  readonly help: string;
  /** Missing required options are a usage error (exit 252). Default false. */
  readonly required?: boolean;
  /** Allowed values of a `string` option. */
  readonly choices?: readonly string[];
  /** Members of each structure of a `structure-list` option. */
  readonly structure?: StructureShape;
  /** Placeholder shown in help instead of `<value>`. */
  readonly metavar?: string;
  /** The SDK input member this option fills (RDS commands), e.g. `DBInstanceIdentifier`. */
  readonly member?: string;
  /** Hidden from help (kept for compatibility). Default false. */
  readonly hidden?: boolean;
}

type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;

/** The parsed value type of each option type. */
export type ValueOfType<T extends OptionType> = T extends 'string'
  ? string
  : T extends 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'timestamp'
        ? Date
        : T extends 'string-list'
          ? string[]
          : Record<string, unknown>[];

/**
 * Parsed arguments of a command, keyed by the camelCase option name
 * (`--db-instance-identifier` -> `dbInstanceIdentifier`). Options not given are undefined
 * unless required.
 */
export type ArgsOf<O extends readonly OptionSpec[]> = {
  [S in O[number] as Camel<S['name']>]: S extends { required: true } ? ValueOfType<S['type']> : ValueOfType<S['type']> | undefined;
};

/** `db-instance-identifier` -> `dbInstanceIdentifier`. */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Output formats, as the AWS CLI's `--output`. */
export const outputFormats = ['json', 'table', 'text'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** Options every command accepts, before or after the command name. */
export const globalOptions = [
  {
    name: 'endpoint-url',
    type: 'string',
    metavar: '<url>',
    help: 'URL of the tlsql API. Default: $AWS_ENDPOINT_URL_RDS, else http://<api.host>:<api.port> from the data dir config (http://127.0.0.1:9336).',
  },
  {
    name: 'region',
    type: 'string',
    metavar: '<region>',
    help: 'Region to sign requests for. Default: the configured region (us-east-1).',
  },
  {
    name: 'data-dir',
    type: 'string',
    metavar: '<dir>',
    help: 'tlsql data dir holding config.json and credentials.json. Default: $TLSQL_DATA_DIR, /var/lib/tlsql as root, else ~/.local/share/tlsql.',
  },
  {
    name: 'output',
    type: 'string',
    choices: outputFormats,
    help: 'Output format of API results. Default: json.',
  },
  {
    name: 'query',
    type: 'string',
    metavar: '<expression>',
    help: "A JMESPath expression applied to the result before it is printed, as the AWS CLI's --query (e.g. 'DBInstances[].Endpoint.Address').",
  },
  {
    name: 'debug',
    type: 'boolean',
    help: 'Log resolved settings and every HTTP request (secrets redacted) to stderr; show stack traces.',
  },
] as const satisfies readonly OptionSpec[];

/** Global settings after parsing, with defaults applied. */
export interface GlobalArgs {
  /** From `--endpoint-url`; undefined when not given. */
  readonly endpointUrl: string | undefined;
  /** From `--region`; undefined when not given. */
  readonly region: string | undefined;
  /** From `--data-dir`, else `defaultDataDir(env)`. */
  readonly dataDir: string;
  /** Default json. */
  readonly output: OutputFormat;
  /** From `--query`: a JMESPath expression, checked for syntax when parsed; undefined when not given. */
  readonly query: string | undefined;
  readonly debug: boolean;
}
