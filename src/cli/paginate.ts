/**
 * AWS CLI-style auto-pagination over RDS `Marker`/`MaxRecords`: all pages are fetched and their
 * result lists joined, unless `--max-items` stops early, in which case the output carries a
 * `NextToken` that `--starting-token` resumes from. Tokens have the AWS CLI's format
 * (base64 of `{"Marker": ..., "boto_truncate_amount": n}`), so they are interchangeable.
 */

import { UsageError } from './errors.js';

export interface PaginateOptions {
  /** Stop after this many items in total and return a NextToken. Default: no limit. */
  maxItems?: number;
  /** A NextToken from an earlier truncated run (or a raw Marker). */
  startingToken?: string;
  /** Command named in a bad-token error. */
  command?: string;
}

interface ResumeToken {
  marker: string | undefined;
  /** Items of the page at `marker` already returned. */
  skip: number;
}

/** Encodes a resume point the way the AWS CLI does. */
export function encodeNextToken(marker: string | undefined, truncateAmount?: number): string {
  const o: Record<string, unknown> = {};
  if (marker !== undefined) o.Marker = marker;
  if (truncateAmount) o.boto_truncate_amount = truncateAmount;
  return Buffer.from(JSON.stringify(o), 'utf8').toString('base64');
}

/** Decodes a NextToken; a string that is not one is taken as a raw Marker. */
export function decodeNextToken(token: string, command?: string): ResumeToken {
  let parsed: unknown;
  try {
    const text = Buffer.from(token, 'base64').toString('utf8');
    parsed = text.trim().startsWith('{') ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  // Only a token the AWS CLI would write; anything else (e.g. a Marker from --no-paginate output,
  // which may itself be base64 JSON) is a raw Marker.
  if (parsed && typeof parsed === 'object' && ('Marker' in parsed || 'boto_truncate_amount' in parsed)) {
    const o = parsed as { Marker?: unknown; boto_truncate_amount?: unknown };
    const marker = o.Marker ?? undefined; // the AWS CLI writes `"Marker": null` for the first page
    const skip = o.boto_truncate_amount ?? 0;
    if ((marker !== undefined && typeof marker !== 'string') || typeof skip !== 'number' || !Number.isInteger(skip) || skip < 0) {
      throw new UsageError(`Error parsing parameter '--starting-token': invalid token ${token}`, command);
    }
    return { marker, skip };
  }
  return { marker: token, skip: 0 };
}

/**
 * Fetches pages with `fetchPage(marker)` until there is no Marker (or `maxItems` is reached) and
 * merges them: `{ [resultKey]: all items, ...other members of the first page, NextToken? }`.
 * Throws if the server repeats a Marker (it would loop forever).
 */
export async function paginate(
  fetchPage: (marker: string | undefined) => Promise<Record<string, unknown>>,
  resultKey: string,
  opts: PaginateOptions = {},
): Promise<Record<string, unknown>> {
  const start = opts.startingToken !== undefined ? decodeNextToken(opts.startingToken, opts.command) : { marker: undefined, skip: 0 };
  let marker = start.marker;
  let skip = start.skip;
  const items: unknown[] = [];
  let first: Record<string, unknown> | undefined;
  let nextToken: string | undefined;
  const seen = new Set<string>();

  for (;;) {
    const page = await fetchPage(marker);
    first ??= page;
    const pageItems = Array.isArray(page[resultKey]) ? (page[resultKey] as unknown[]) : [];
    const available = pageItems.slice(skip);
    const nextMarker = typeof page.Marker === 'string' && page.Marker !== '' ? page.Marker : undefined;
    if (opts.maxItems !== undefined && items.length + available.length >= opts.maxItems) {
      const take = opts.maxItems - items.length;
      items.push(...available.slice(0, take));
      if (take < available.length) nextToken = encodeNextToken(marker, skip + take);
      else if (nextMarker !== undefined) nextToken = encodeNextToken(nextMarker);
      break;
    }
    items.push(...available);
    skip = 0;
    if (nextMarker === undefined) break;
    if (seen.has(nextMarker)) throw new Error(`the server returned the same Marker twice (${nextMarker}); stopping`);
    seen.add(nextMarker);
    marker = nextMarker;
  }

  const merged: Record<string, unknown> = { [resultKey]: items };
  for (const [k, v] of Object.entries(first ?? {})) {
    if (k !== resultKey && k !== 'Marker' && k !== '$metadata' && v !== undefined) merged[k] = v;
  }
  if (nextToken !== undefined) merged.NextToken = nextToken;
  return merged;
}
