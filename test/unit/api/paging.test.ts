import { describe, expect, it } from 'vitest';
import { paginate, readPageRequest } from '../../../src/api/paging.js';
import { QueryReader } from '../../../src/api/query.js';
import { AppError } from '../../../src/errors/app-error.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `db-${String(i).padStart(3, '0')}`);

describe('paginate', () => {
  it('returns sorted pages and no Marker on the last page', () => {
    const items = ids(45).reverse();
    const p1 = paginate(items, (x) => x, { maxRecords: 20, marker: undefined });
    const p2 = paginate(items, (x) => x, { maxRecords: 20, marker: p1.marker });
    const p3 = paginate(items, (x) => x, { maxRecords: 20, marker: p2.marker });
    expect([p1.items.length, p2.items.length, p3.items.length]).toEqual([20, 20, 5]);
    expect([...p1.items, ...p2.items, ...p3.items]).toEqual(ids(45));
    expect(p1.marker).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(p3.marker).toBeUndefined();
  });

  it('returns an exactly full last page without a Marker', () => {
    expect(paginate(ids(20), (x) => x, { maxRecords: 20, marker: undefined }).marker).toBeUndefined();
  });

  it('keeps its place when items before the boundary are deleted or inserted', () => {
    const items = ids(45);
    const p1 = paginate(items, (x) => x, { maxRecords: 20, marker: undefined });
    const changed = [...items.slice(5), 'db-000a'];
    const p2 = paginate(changed, (x) => x, { maxRecords: 20, marker: p1.marker });
    expect(p2.items[0]).toBe('db-020');
  });

  it('never skips or repeats items sharing a key across a page boundary', () => {
    const events = Array.from({ length: 50 }, (_, i) => ({ key: i < 15 ? 'a' : i < 35 ? 'b' : 'c', n: i }));
    const seen: number[] = [];
    let marker: string | undefined;
    do {
      const page = paginate(events, (e) => e.key, { maxRecords: 20, marker });
      seen.push(...page.items.map((e) => e.n));
      marker = page.marker;
    } while (marker);
    expect(seen.sort((a, b) => a - b)).toEqual(events.map((e) => e.n));
  });

  it('refuses a Marker it did not issue', () => {
    for (const marker of ['garbage!', Buffer.from('{"k":1}').toString('base64url'), Buffer.from('not json').toString('base64url')]) {
      expect(() => paginate(ids(3), (x) => x, { maxRecords: 20, marker })).toThrow(AppError);
    }
  });
});

describe('readPageRequest', () => {
  it('defaults MaxRecords to 100 and accepts 20..100', () => {
    expect(readPageRequest(QueryReader.parse(''))).toEqual({ maxRecords: 100, marker: undefined });
    expect(readPageRequest(QueryReader.parse('MaxRecords=20&Marker=abc'))).toEqual({ maxRecords: 20, marker: 'abc' });
  });

  it('refuses MaxRecords outside 20..100 with InvalidParameterValue', () => {
    for (const v of ['19', '101', '0', '-5']) {
      expect(() => readPageRequest(QueryReader.parse(`MaxRecords=${v}`))).toThrow(expect.objectContaining({ code: 'InvalidParameterValue', message: expect.stringContaining('Must be between 20 and 100') }));
    }
  });
});
