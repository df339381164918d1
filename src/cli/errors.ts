/**
 * CLI failures and their exit codes. The codes are the AWS CLI v2's, so scripts written for
 * `aws rds` keep working: 252 bad command line, 253 local configuration or credentials,
 * 254 the API answered with an error, 255 anything else (server unreachable, waiter failed).
 */
export const ExitCode = {
  ok: 0,
  /** Command line could not be parsed: unknown command or option, missing or bad value. */
  usage: 252,
  /** The local environment is unusable: config invalid, no credentials. */
  config: 253,
  /** The API returned an error response. */
  service: 254,
  /** Everything else: server not reachable, waiter failed or timed out, local I/O. */
  failure: 255,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports itself: `message` is shown as is and `exitCode` returned. */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode: number = ExitCode.failure, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The command line is wrong. `command` (when known) is named in the hint to its help. */
export class UsageError extends CliError {
  readonly command: string | undefined;

  constructor(message: string, command?: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
    this.command = command;
  }
}

/** The API answered an action with an error; printed exactly like the AWS CLI prints it. */
export class ApiCallError extends CliError {
  readonly operation: string;
  /** RDS wire code, e.g. `DBInstanceNotFound` (not the SDK's `DBInstanceNotFoundFault`). */
  readonly code: string;
  readonly httpStatus: number | undefined;

  constructor(operation: string, code: string, message: string, httpStatus?: number, cause?: unknown) {
    super(message, ExitCode.service, { cause });
    this.name = 'ApiCallError';
    this.operation = operation;
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

/** The API endpoint refused or dropped the connection: the server is not running there. */
export class ServerUnreachableError extends CliError {
  readonly endpoint: string;

  constructor(endpoint: string, cause?: unknown) {
    super(
      `the tlsql server is not running at ${endpoint}. Start it with \`tlsql server\` (or scripts/setup).`,
      ExitCode.failure,
      { cause },
    );
    this.name = 'ServerUnreachableError';
    this.endpoint = endpoint;
  }
}

/** A waiter reached a failure state or ran out of time (AWS CLI: exit 255). */
export class WaiterError extends CliError {
  readonly waiter: string;

  constructor(waiter: string, reason: string) {
    super(`Waiter ${waiter} failed: ${reason}`, ExitCode.failure);
    this.name = 'WaiterError';
    this.waiter = waiter;
  }
}

/** The AWS CLI's service-error line, including its leading blank line. */
export function formatApiError(operation: string, code: string, message: string): string {
  return `\nAn error occurred (${code}) when calling the ${operation} operation: ${message}\n`;
}

const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * True when `e` (or anything in its cause chain or AggregateError list) is a failure to reach
 * the server at all, as opposed to an answer from it. Covers node:http (SDK) and fetch (undici).
 */
export function isConnectionError(e: unknown, depth = 0): boolean {
  if (depth > 5 || e === null || typeof e !== 'object') return false;
  const err = e as { code?: unknown; name?: unknown; cause?: unknown; errors?: unknown; $metadata?: unknown };
  if (typeof err.code === 'string' && connectionCodes.has(err.code)) return true;
  // The SDK's connection timeout surfaces as a TimeoutError without a response.
  const status = (err.$metadata as { httpStatusCode?: number } | undefined)?.httpStatusCode;
  if (err.name === 'TimeoutError' && status === undefined) return true;
  if (Array.isArray(err.errors) && err.errors.some((x) => isConnectionError(x, depth + 1))) return true;
  return isConnectionError(err.cause, depth + 1);
}
