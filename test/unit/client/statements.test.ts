import { describe, expect, it } from 'vitest';
import { StatementBuffer, promptFor } from '../../../src/client/statements.js';

function feedAll(lines: string[], b = new StatementBuffer()) {
  return lines.flatMap((l) => b.feed(l));
}

describe('the statement splitter', () => {
  it('ends statements at ; and keeps several per line', () => {
    expect(feedAll(['SELECT 1; SELECT 2;'])).toEqual([
      { kind: 'statement', sql: 'SELECT 1', vertical: false },
      { kind: 'statement', sql: 'SELECT 2', vertical: false },
    ]);
  });

  it('joins lines until the delimiter and shows the continuation state', () => {
    const b = new StatementBuffer();
    expect(b.feed('SELECT 1,')).toEqual([]);
    expect(b.state()).toBe('statement');
    expect(promptFor(b.state())).toBe('    -> ');
    expect(b.feed('2;')).toEqual([{ kind: 'statement', sql: 'SELECT 1,\n2', vertical: false }]);
    expect(b.state()).toBe('idle');
  });

  it('ignores delimiters and commands inside quotes and comments', () => {
    const b = new StatementBuffer();
    expect(b.feed("SELECT 'a;b', \"c\\\"d;\", `e;f`, 'it''s;' /* x; \\G */")).toEqual([]);
    expect(b.feed(';')).toEqual([{ kind: 'statement', sql: "SELECT 'a;b', \"c\\\"d;\", `e;f`, 'it''s;' /* x; \\G */", vertical: false }]);
  });

  it('shows the open quote or comment in the prompt', () => {
    const b = new StatementBuffer();
    b.feed("SELECT 'open");
    expect(promptFor(b.state())).toBe("    '> ");
    b.clear();
    b.feed('SELECT /* open');
    expect(promptFor(b.state())).toBe('   /*> ');
  });

  it('drops -- and # comments', () => {
    expect(feedAll(['SELECT 1 -- not ; this', '# nor ; this', ';'])).toEqual([{ kind: 'statement', sql: 'SELECT 1', vertical: false }]);
    expect(feedAll(['SELECT 5--1;'])).toEqual([{ kind: 'statement', sql: 'SELECT 5--1', vertical: false }]);
  });

  it('\\G sends for vertical output, \\g like ;, \\c clears', () => {
    expect(feedAll(['SELECT 1\\G'])).toEqual([{ kind: 'statement', sql: 'SELECT 1', vertical: true }]);
    expect(feedAll(['SELECT 1\\g'])).toEqual([{ kind: 'statement', sql: 'SELECT 1', vertical: false }]);
    expect(feedAll(['SELECT 1', 'oops \\c', 'SELECT 2;'])).toEqual([{ kind: 'clear' }, { kind: 'statement', sql: 'SELECT 2', vertical: false }]);
  });

  it('recognises the long client commands at the start of a statement only', () => {
    expect(feedAll(['exit'])).toEqual([{ kind: 'quit' }]);
    expect(feedAll(['quit;'])).toEqual([{ kind: 'quit' }]);
    expect(feedAll(['status'])).toEqual([{ kind: 'status' }]);
    expect(feedAll(['\\s'])).toEqual([{ kind: 'status' }]);
    expect(feedAll(['use `my db`;'])).toEqual([{ kind: 'use', database: 'my db' }]);
    expect(feedAll(['SELECT', 'status;'])).toEqual([{ kind: 'statement', sql: 'SELECT\nstatus', vertical: false }]);
  });

  it('changes the delimiter', () => {
    const b = new StatementBuffer();
    expect(b.feed('delimiter //')).toEqual([{ kind: 'delimiter', delimiter: '//' }]);
    expect(b.feed('CREATE PROCEDURE p() BEGIN SELECT 1; END//')).toEqual([{ kind: 'statement', sql: 'CREATE PROCEDURE p() BEGIN SELECT 1; END', vertical: false }]);
  });

  it('reports an empty statement and unknown backslash commands', () => {
    expect(feedAll([';'])).toEqual([{ kind: 'empty' }]);
    expect(feedAll(['\\x'])).toEqual([{ kind: 'error', message: "Unknown command '\\x'." }]);
  });

  it('flush returns what is left at the end of input (batch runs it without a delimiter)', () => {
    const b = new StatementBuffer();
    b.feed('SELECT 1');
    expect(b.flush()).toEqual([{ kind: 'statement', sql: 'SELECT 1', vertical: false }]);
    expect(b.flush()).toEqual([]);
  });
});
