import { describe, expect, it } from 'vitest';
import { displayWidth, escapeBatch, formatBatch, formatElapsed, formatTable, formatVertical, queryOkLines, rowsInSetLine, type Column } from '../../../src/client/format.js';

const LONGLONG = 8;
const VAR_STRING = 253;
const BLOB = 252;
const cols: Column[] = [
  { name: 'id', columnType: LONGLONG, characterSet: 63 },
  { name: 'name', columnType: VAR_STRING, characterSet: 45 },
];
const rows = [
  [Buffer.from('1'), Buffer.from('anvil')],
  [Buffer.from('22'), null],
];
const o = { binaryAsHex: false };

describe('result formatting like the MySQL monitor', () => {
  it('draws tables with numbers right-aligned and NULL spelled out', () => {
    expect(formatTable(cols, rows, { ...o, columnNames: true })).toBe(
      ['+----+-------+', '| id | name  |', '+----+-------+', '|  1 | anvil |', '| 22 | NULL  |', '+----+-------+', ''].join('\n'),
    );
  });

  it('sizes columns by display width (wide characters take two cells)', () => {
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('abc')).toBe(3);
    const t = formatTable([{ name: 'w', columnType: VAR_STRING, characterSet: 45 }], [[Buffer.from('日本')], [Buffer.from('a')]], { ...o, columnNames: true });
    expect(t.split('\n')[3]).toBe('| 日本 |');
    expect(t.split('\n')[4]).toBe('| a    |');
  });

  it('prints batch output tab-separated with escapes, or raw with -r', () => {
    const r = [[Buffer.from('1'), Buffer.from('a\tb\nc\\d')]];
    expect(formatBatch(cols, r, { ...o, columnNames: true, raw: false })).toBe('id\tname\n1\ta\\tb\\nc\\\\d\n');
    expect(formatBatch(cols, r, { ...o, columnNames: false, raw: true })).toBe('1\ta\tb\nc\\d\n');
    expect(escapeBatch('\0')).toBe('\\0');
  });

  it('prints rows vertically with names right-aligned', () => {
    expect(formatVertical(cols, rows, o)).toBe(
      '*************************** 1. row ***************************\n  id: 1\nname: anvil\n*************************** 2. row ***************************\n  id: 22\nname: NULL\n',
    );
  });

  it('shows binary strings as hex when asked (interactive default)', () => {
    const bin: Column[] = [{ name: 'b', columnType: BLOB, characterSet: 63 }];
    expect(formatBatch(bin, [[Buffer.from([0xde, 0xad])]], { binaryAsHex: true, columnNames: false, raw: false })).toBe('0xDEAD\n');
  });

  it('writes the summary lines', () => {
    expect(rowsInSetLine(1, 0, 4)).toBe('1 row in set (0.00 sec)');
    expect(rowsInSetLine(3, 1, 1234)).toBe('3 rows in set, 1 warning (1.23 sec)');
    expect(rowsInSetLine(0, 0, 0)).toBe('Empty set (0.00 sec)');
    expect(queryOkLines(2, 0, 'Records: 2  Duplicates: 0  Warnings: 0', 10)).toBe('Query OK, 2 rows affected (0.01 sec)\nRecords: 2  Duplicates: 0  Warnings: 0\n');
    expect(formatElapsed(61_500)).toBe('(1 min 1.50 sec)');
  });
});
