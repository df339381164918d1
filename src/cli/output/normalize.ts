/**
 * Turns an SDK response into the plain data the AWS CLI would print: `$metadata` and undefined
 * members dropped, timestamps as Python `datetime.isoformat()` strings in UTC
 * (`2026-11-24T10:00:00.123000+00:00`, no fraction when it is zero), binary as base64.
 */

/** Plain data: what the formatters accept. */
export type CliValue = string | number | boolean | null | CliValue[] | { [key: string]: CliValue };

/** Formats a Date the way the AWS CLI v2 prints timestamps. */
export function formatTimestamp(d: Date): string {
  if (Number.isNaN(d.getTime())) return String(d);
  const iso = d.toISOString(); // 2026-11-24T10:00:00.123Z
  const base = iso.slice(0, 19);
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? `${base}+00:00` : `${base}.${String(ms).padStart(3, '0')}000+00:00`;
}

/** Recursively converts an SDK output (or any JS value) to CliValue. */
export function normalizeOutput(value: unknown): CliValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return formatTimestamp(value);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map((v) => normalizeOutput(v));
  if (typeof value === 'object') {
    const out: { [key: string]: CliValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === '$metadata' || v === undefined) continue;
      out[k] = normalizeOutput(v);
    }
    return out;
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

/** Python's `str()` of a scalar, which the table and text formats print. */
export function pyStr(v: CliValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
}

export function isScalar(v: CliValue | undefined): v is string | number | boolean | null {
  return v === null || typeof v !== 'object';
}

/** Python truthiness, which decides whether the formatters print a value at all. */
export function isTruthy(v: CliValue | undefined): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}
