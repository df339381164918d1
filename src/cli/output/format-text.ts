/**
 * The AWS CLI's `--output text`: tab-separated lines. An object's scalar members (sorted by key)
 * form one line, prefixed with the upper-cased name of the member that holds it; nested lists
 * and objects follow on their own lines. In a list of objects every line has the same columns
 * (the union of scalar keys, empty where missing).
 */

import { isScalar, pyStr, type CliValue } from './normalize.js';

type Obj = { [key: string]: CliValue };

/** Renders `value` as the AWS CLI's text output. */
export function formatText(value: CliValue): string {
  const out: string[] = [];
  formatItem(value, out, undefined, undefined);
  return out.join('');
}

function formatItem(item: CliValue, out: string[], identifier: string | undefined, scalarKeys: string[] | undefined): void {
  if (Array.isArray(item)) formatList(item, out, identifier);
  else if (item !== null && typeof item === 'object') formatDict(item, out, identifier, scalarKeys);
  else out.push(`${pyStr(item)}\n`);
}

function formatList(items: CliValue[], out: string[], identifier: string | undefined): void {
  if (items.length === 0) return;
  if (items.some((el) => el !== null && typeof el === 'object' && !Array.isArray(el))) {
    const keys = new Set<string>();
    for (const el of items) {
      if (el === null || typeof el !== 'object' || Array.isArray(el)) continue;
      for (const [k, v] of Object.entries(el)) if (isScalar(v)) keys.add(k);
    }
    const all = [...keys].sort(codePointOrder);
    for (const el of items) formatItem(el, out, identifier, all);
  } else if (items.some((el) => Array.isArray(el))) {
    const scalars = items.filter((el) => isScalar(el));
    if (scalars.length > 0) formatScalarList(scalars, out, identifier);
    for (const el of items) if (!isScalar(el)) formatItem(el, out, identifier, undefined);
  } else {
    formatScalarList(items, out, identifier);
  }
}

function formatScalarList(items: CliValue[], out: string[], identifier: string | undefined): void {
  if (identifier !== undefined) for (const v of items) out.push(`${identifier.toUpperCase()}\t${pyStr(v)}\n`);
  else out.push(items.map((v) => pyStr(v)).join('\t') + '\n');
}

function formatDict(obj: Obj, out: string[], identifier: string | undefined, scalarKeys: string[] | undefined): void {
  const scalars: string[] = [];
  const nested: [string, CliValue][] = [];
  if (scalarKeys === undefined) {
    for (const k of Object.keys(obj).sort(codePointOrder)) {
      const v = obj[k] as CliValue;
      if (isScalar(v)) scalars.push(pyStr(v));
      else nested.push([k, v]);
    }
  } else {
    for (const k of scalarKeys) scalars.push(Object.hasOwn(obj, k) ? pyStr(obj[k]) : '');
    const set = new Set(scalarKeys);
    for (const k of Object.keys(obj).sort(codePointOrder)) if (!set.has(k)) nested.push([k, obj[k] as CliValue]);
  }
  if (scalars.length > 0) {
    if (identifier !== undefined) scalars.unshift(identifier.toUpperCase());
    out.push(scalars.join('\t') + '\n');
  }
  for (const [k, v] of nested) formatItem(v, out, k, undefined);
}

function codePointOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
