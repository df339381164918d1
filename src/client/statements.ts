/**
 * Turns lines of input into statements and client commands the way the MySQL monitor does:
 * statements end at the delimiter (`;` by default), `\g` or `\G` (vertical output) outside quotes
 * and comments and may span lines; `\c` clears the statement; `\q`, `\s`, `\h`, `\d`, `\u` and
 * the long forms `exit`, `quit`, `status`, `help`, `use db`, `delimiter x` (at the start of a
 * statement) are client commands. `--` and `#` comments are dropped; `/* *\/` comments are sent.
 */

/** Something to do, in input order. */
export type InputAction =
  | { kind: 'statement'; sql: string; vertical: boolean }
  | { kind: 'quit' }
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'clear' }
  | { kind: 'use'; database: string }
  | { kind: 'delimiter'; delimiter: string }
  | { kind: 'warnings'; on: boolean }
  /** `;` or `\g` with nothing before it. */
  | { kind: 'empty' }
  | { kind: 'error'; message: string };

/** Where the scanner is, which decides the prompt (`mysql>`, `->`, `'>`, `/*>`). */
export type ScanState = 'idle' | 'statement' | "'" | '"' | '`' | 'comment';

/** The prompt for a state, as the MySQL monitor shows it. */
export function promptFor(state: ScanState, prompt = 'mysql> '): string {
  switch (state) {
    case 'idle':
      return prompt;
    case 'statement':
      return '    -> ';
    case 'comment':
      return '   /*> ';
    default:
      return `    ${state}> `;
  }
}

/** The statement splitter. Feed it lines (without their newline); it returns what to do. */
export class StatementBuffer {
  private buf = '';
  private quote: "'" | '"' | '`' | null = null;
  private inComment = false;

  constructor(private delimiter = ';') {}

  get currentDelimiter(): string {
    return this.delimiter;
  }

  /** The text collected so far (no complete statement yet). */
  get pending(): string {
    return this.buf;
  }

  state(): ScanState {
    if (this.inComment) return 'comment';
    if (this.quote !== null) return this.quote;
    return this.buf.trim() === '' ? 'idle' : 'statement';
  }

  /** Drops the statement being typed (`\c`, Ctrl-C). */
  clear(): void {
    this.buf = '';
    this.quote = null;
    this.inComment = false;
  }

  /** What is left at end of input, run as a last statement (batch mode runs it without a delimiter). */
  flush(): InputAction[] {
    const sql = this.buf.trim();
    this.clear();
    return sql === '' ? [] : [{ kind: 'statement', sql, vertical: false }];
  }

  /** Processes one line. */
  feed(line: string): InputAction[] {
    const out: InputAction[] = [];
    if (this.state() === 'idle') {
      const cmd = longCommand(line, this.delimiter);
      if (cmd !== undefined) {
        if (cmd.kind === 'delimiter') this.delimiter = cmd.delimiter;
        return [cmd];
      }
    }
    let i = 0;
    const emit = (vertical: boolean) => {
      const sql = this.buf.trim();
      this.buf = '';
      out.push(sql === '' ? { kind: 'empty' } : { kind: 'statement', sql, vertical });
    };
    while (i < line.length) {
      const c = line[i] as string;
      if (this.inComment) {
        const end = line.indexOf('*/', i);
        if (end === -1) {
          this.buf += line.slice(i);
          i = line.length;
        } else {
          this.buf += line.slice(i, end + 2);
          i = end + 2;
          this.inComment = false;
        }
        continue;
      }
      if (this.quote !== null) {
        this.buf += c;
        if (c === '\\' && this.quote !== '`' && i + 1 < line.length) {
          this.buf += line[i + 1];
          i += 2;
          continue;
        }
        if (c === this.quote) this.quote = null;
        i++;
        continue;
      }
      if (line.startsWith(this.delimiter, i)) {
        emit(false);
        i += this.delimiter.length;
        continue;
      }
      if (c === "'" || c === '"' || c === '`') {
        this.quote = c;
        this.buf += c;
        i++;
        continue;
      }
      if (c === '#' || (c === '-' && line[i + 1] === '-' && (i + 2 >= line.length || /\s/.test(line[i + 2] as string)))) {
        break; // comment to the end of the line
      }
      if (c === '/' && line[i + 1] === '*') {
        this.inComment = true;
        this.buf += '/*';
        i += 2;
        continue;
      }
      if (c === '\\' && i + 1 < line.length) {
        const k = line[i + 1] as string;
        const rest = line.slice(i + 2).trim();
        i += 2;
        switch (k) {
          case 'g':
            emit(false);
            continue;
          case 'G':
            emit(true);
            continue;
          case 'c':
            this.buf = '';
            out.push({ kind: 'clear' });
            continue;
          case 'q':
            out.push({ kind: 'quit' });
            return out;
          case 's':
            out.push({ kind: 'status' });
            continue;
          case 'h':
          case '?':
            out.push({ kind: 'help' });
            continue;
          case 'W':
            out.push({ kind: 'warnings', on: true });
            continue;
          case 'w':
            out.push({ kind: 'warnings', on: false });
            continue;
          case 'u':
            out.push(rest === '' ? { kind: 'error', message: 'USE must be followed by a database name' } : { kind: 'use', database: unquoteName(rest) });
            return out;
          case 'd': {
            const d = rest.split(/\s+/)[0] ?? '';
            if (d === '' || d.includes('\\')) out.push({ kind: 'error', message: 'DELIMITER must be followed by a non-empty string without a backslash' });
            else {
              this.delimiter = d;
              out.push({ kind: 'delimiter', delimiter: d });
            }
            return out;
          }
          default:
            out.push({ kind: 'error', message: `Unknown command '\\${k}'.` });
            continue;
        }
      }
      this.buf += c;
      i++;
    }
    if (this.buf !== '' || this.quote !== null || this.inComment) this.buf += '\n';
    return out;
  }
}

function unquoteName(s: string): string {
  const t = s.replace(/;+\s*$/, '').trim();
  const m = /^`((?:[^`]|``)*)`$/.exec(t);
  return m ? (m[1] as string).replace(/``/g, '`') : t.split(/\s+/)[0] ?? t;
}

/** The long-form client commands, recognised only at the start of a statement. */
function longCommand(line: string, delimiter: string): InputAction | undefined {
  let t = line.trim();
  if (t.endsWith(delimiter)) t = t.slice(0, -delimiter.length).trim();
  const m = /^(\w+)(?:\s+(.*))?$/s.exec(t);
  if (m === null) return undefined;
  const word = (m[1] as string).toLowerCase();
  const arg = (m[2] ?? '').trim();
  switch (word) {
    case 'exit':
    case 'quit':
      return arg === '' ? { kind: 'quit' } : undefined;
    case 'status':
      return arg === '' ? { kind: 'status' } : undefined;
    case 'help':
      return arg === '' ? { kind: 'help' } : undefined;
    case 'clear':
      return arg === '' ? { kind: 'clear' } : undefined;
    case 'use':
      return arg === '' ? { kind: 'error', message: 'USE must be followed by a database name' } : { kind: 'use', database: unquoteName(arg) };
    case 'delimiter': {
      // `delimiter //` takes the first word as is (the line does not end with the old delimiter).
      const d = (line.trim().split(/\s+/)[1] ?? '').trim();
      if (d === '' || d.includes('\\')) return { kind: 'error', message: 'DELIMITER must be followed by a non-empty string without a backslash' };
      return { kind: 'delimiter', delimiter: d };
    }
    default:
      return undefined;
  }
}
