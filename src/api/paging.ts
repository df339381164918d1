/**
 * MaxRecords/Marker paging for Describe* actions. The control plane returns whole result sets;
 * the API sorts them by a key and cuts pages. The Marker is opaque to clients: base64url of the
 * last key returned plus how many items with that key were returned, so a page boundary stays
 * put when items are added or removed before it, and duplicate keys are never skipped.
 */
import { AppError } from '../errors/app-error.js';
import type { QueryReader } from './query.js';

/** Smallest MaxRecords RDS accepts on the Describe* calls tlsql serves. */
export const minMaxRecords = 20;
/** Largest MaxRecords, and the default when none is sent. */
export const maxMaxRecords = 100;

export interface PageRequest {
  maxRecords: number;
  marker: string | undefined;
}

/** Reads `MaxRecords` (20..100, default 100) and `Marker` from the request. */
export function readPageRequest(params: QueryReader): PageRequest {
  const maxRecords = params.integer('MaxRecords') ?? maxMaxRecords;
  if (maxRecords < minMaxRecords || maxRecords > maxMaxRecords) {
    throw new AppError('InvalidParameterValue', `Invalid value ${maxRecords} for MaxRecords. Must be between ${minMaxRecords} and ${maxMaxRecords}`, {
      details: { param: 'MaxRecords' },
    });
  }
  return { maxRecords, marker: params.string('Marker') };
}

interface MarkerState {
  k: string;
  n: number;
}

function encodeMarker(state: MarkerState): string {
  return Buffer.from(JSON.stringify(state), 'utf8').toString('base64url');
}

function decodeMarker(marker: string): MarkerState {
  const bad = () => new AppError('InvalidParameterValue', 'The parameter Marker is not valid: pass the Marker from the previous response unchanged.', { details: { param: 'Marker' } });
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(marker)) throw bad();
  let state: unknown;
  try {
    state = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8'));
  } catch (e) {
    throw new AppError('InvalidParameterValue', 'The parameter Marker is not valid: pass the Marker from the previous response unchanged.', {
      cause: e,
      details: { param: 'Marker' },
    });
  }
  const s = state as Partial<MarkerState> | null;
  if (typeof s !== 'object' || s === null || typeof s.k !== 'string' || typeof s.n !== 'number' || !Number.isInteger(s.n) || s.n < 1) throw bad();
  return { k: s.k, n: s.n };
}

/** A page of items and the Marker for the next one (undefined on the last page). */
export interface Page<T> {
  items: T[];
  marker: string | undefined;
}

/**
 * Keyset paging, for sources that read items with unique keys in code-unit order after a key:
 * `pageAfter` is the key to read after (from the Marker), and the source is asked for
 * `maxRecords + 1` items; `pageOf` cuts them to a page, the extra one saying whether another
 * follows. Markers are the same as `paginate`'s.
 */
export function pageAfter(req: PageRequest): string | undefined {
  return req.marker !== undefined && req.marker !== '' ? decodeMarker(req.marker).k : undefined;
}

/** See `pageAfter`. */
export function pageOf<T>(itemsAfterMarker: T[], keyOf: (item: T) => string, req: PageRequest): Page<T> {
  if (itemsAfterMarker.length <= req.maxRecords) return { items: itemsAfterMarker, marker: undefined };
  const items = itemsAfterMarker.slice(0, req.maxRecords);
  return { items, marker: encodeMarker({ k: keyOf(items[items.length - 1]!), n: 1 }) };
}

/**
 * Sorts `items` by `keyOf` (code-unit order, stable) and returns the page after `req.marker`.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, req: PageRequest): Page<T> {
  const keyed = items.map((item) => ({ item, key: keyOf(item) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  let start = 0;
  if (req.marker !== undefined && req.marker !== '') {
    const m = decodeMarker(req.marker);
    while (start < keyed.length && (keyed[start]?.key ?? '') < m.k) start++;
    let sameKey = 0;
    while (start < keyed.length && keyed[start]?.key === m.k && sameKey < m.n) {
      start++;
      sameKey++;
    }
  }
  const pageItems = keyed.slice(start, start + req.maxRecords);
  const end = start + pageItems.length;
  if (end >= keyed.length || pageItems.length === 0) return { items: pageItems.map((p) => p.item), marker: undefined };

  const lastKey = pageItems[pageItems.length - 1]?.key ?? '';
  let n = 0;
  for (let i = end - 1; i >= 0 && keyed[i]?.key === lastKey; i--) n++;
  return { items: pageItems.map((p) => p.item), marker: encodeMarker({ k: lastKey, n }) };
}
