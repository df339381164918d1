import { errorCodes, type ErrorCode } from './codes.js';

/**
 * The one error type of tlsql. `code` names an entry of the codes table, which maps it to an
 * RDS wire fault and HTTP status. `expose` says whether `message` may be shown to a client
 * (true for validation and state errors; false for internal failures, whose detail goes to the log).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, opts: { cause?: unknown; details?: Record<string, unknown>; expose?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = opts.details ?? {};
    this.expose = opts.expose ?? errorCodes[code].status < 500;
  }

  get status(): number {
    return errorCodes[this.code].status;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

/** Wraps an unknown failure with what was being attempted, keeping AppErrors as they are. */
export function wrap(e: unknown, doing: string): AppError {
  if (e instanceof AppError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new AppError('InternalFailure', `${doing}: ${msg}`, { cause: e, expose: false });
}
