/**
 * Reads a request body into memory with a byte limit, refusing oversize bodies without buffering
 * them (RequestEntityTooLarge).
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors/app-error.js';

/** Default request body limit: 1 MiB (RDS Query requests are a few KiB at most). */
export const defaultMaxBodyBytes = 1024 * 1024;

/** Default bound on receiving a request body once its headers are in: 10 s. */
export const defaultBodyTimeoutMs = 10_000;

/** The client went away before the body was complete; there is nobody to answer. */
export class RequestAborted extends Error {
  constructor() {
    super('client aborted the request before its body was complete');
    this.name = 'RequestAborted';
  }
}

/** The RequestEntityTooLarge (413) fault for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): AppError {
  return new AppError('RequestEntityTooLarge', `Request body exceeds the limit of ${maxBytes} bytes.`, { details: { maxBytes } });
}

/**
 * The declared Content-Length, when it alone proves the body too large (so the caller can answer
 * 413 before reading anything). Returns false when the length is absent or within `maxBytes`.
 */
export function declaredTooLarge(req: IncomingMessage, maxBytes: number): boolean {
  const header = req.headers['content-length'];
  if (header === undefined) return false;
  const n = Number(header);
  return Number.isFinite(n) && n > maxBytes;
}

/**
 * Collects the body. Past `maxBytes` it rejects with RequestEntityTooLarge at once and keeps
 * discarding further data (the caller answers 413 and closes the connection); it never holds more
 * than `maxBytes` in memory. A body not complete within `timeoutMs` (default 10 s) is dropped with
 * RequestTimeout, so a client that dribbles its body cannot hold memory for long. Rejects with
 * RequestAborted if the client disconnects first.
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs = defaultBodyTimeoutMs): Promise<Buffer> {
  if (declaredTooLarge(req, maxBytes)) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const timer = setTimeout(() => {
      chunks.length = 0;
      settle(() => reject(new AppError('RequestTimeout', `The request body did not arrive within ${timeoutMs} ms.`, { details: { timeoutMs } })));
    }, timeoutMs);
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      size += chunk.length;
      if (size > maxBytes) {
        chunks.length = 0;
        settle(() => reject(tooLarge(maxBytes)));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => settle(() => resolve(Buffer.concat(chunks, size))));
    req.on('error', () => settle(() => reject(new RequestAborted())));
    req.on('close', () => settle(() => reject(new RequestAborted())));
  });
}
