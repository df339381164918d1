/**
 * Runs statements on an open connection and prints their results in the output mode in effect
 * (table, batch, vertical; with or without the interactive summary lines). Cancelling a running
 * statement sends `KILL QUERY <id>` over a second connection, as the MySQL client does on Ctrl-C,
 * so the session itself survives.
 */

import type { Writable } from 'node:stream';
import type mysql from 'mysql2/promise';
import { toQueryError, type OpenConnection } from './connect.js';
import { CR, ClientError } from '../protocol/client-error.js';
import { formatBatch, formatTable, formatVertical, queryOkLines, rowsInSetLine, type Column, type RawRow } from './format.js';

/** How results are printed; derived once from the options and the terminals (see mysql-client.ts). */
export interface OutputMode {
  /** Print "N rows in set", "Query OK" lines and blank lines between results (interactive only). */
  summaries: boolean;
  /** Bordered tables (interactive, or -t); otherwise tab-separated. */
  table: boolean;
  columnNames: boolean;
  raw: boolean;
  binaryAsHex: boolean;
  /** -E: every result vertically. */
  vertical: boolean;
  showWarnings: boolean;
}

type ResultPart = { kind: 'rows'; cols: Column[]; rows: RawRow[] } | { kind: 'ok'; affectedRows: number; info: string; warnings: number };

function toColumns(fields: readonly mysql.FieldPacket[]): Column[] {
  return fields.map((f) => {
    const x = f as unknown as { name: string; columnType?: number; type?: number; characterSet?: number };
    return { name: x.name, columnType: x.columnType ?? x.type ?? 253, characterSet: x.characterSet ?? 33 };
  });
}

/** mysql2's (result, fields) in its three shapes -> the result sets and OK packets, in order. */
export function resultParts(result: unknown, fields: unknown): ResultPart[] {
  const okOf = (r: { affectedRows?: number; info?: string; warningStatus?: number }): ResultPart => ({
    kind: 'ok',
    affectedRows: r.affectedRows ?? 0,
    info: r.info ?? '',
    warnings: r.warningStatus ?? 0,
  });
  if (!Array.isArray(result)) return [okOf(result as { affectedRows?: number })];
  const f = fields as unknown[] | undefined;
  const multi = Array.isArray(f) && f.length > 0 && (Array.isArray(f[0]) || f[0] === undefined || f[0] === null);
  if (!multi) return [{ kind: 'rows', cols: toColumns((f ?? []) as mysql.FieldPacket[]), rows: result as RawRow[] }];
  return result.map((part, i) =>
    Array.isArray(part) ? { kind: 'rows' as const, cols: toColumns((f?.[i] ?? []) as mysql.FieldPacket[]), rows: part as RawRow[] } : okOf(part as { affectedRows?: number }),
  );
}

/** Executes statements for one session. */
export class Executor {
  /** True while a statement runs (Ctrl-C then cancels it). */
  running = false;
  private cancelling: Promise<void> | undefined;

  constructor(
    public session: OpenConnection,
    /** Mutable: `\W` / `\w` switch warnings on and off. */
    readonly mode: OutputMode,
    private readonly out: Writable,
    private readonly err: Writable,
    /** Opens another connection with the same settings (for KILL QUERY and reconnects). */
    private readonly openAnother: () => Promise<OpenConnection>,
  ) {}

  /** Runs one statement and prints its results. Returns the error instead of throwing. */
  async run(sql: string, vertical: boolean): Promise<ClientError | undefined> {
    const started = performance.now();
    this.running = true;
    let result: unknown;
    let fields: unknown;
    try {
      [result, fields] = await this.session.conn.query({ sql });
    } catch (e) {
      return toQueryError(e);
    } finally {
      this.running = false;
      await this.cancelling;
    }
    const ms = performance.now() - started;
    const parts = resultParts(result, fields);
    for (const p of parts) {
      if (p.kind === 'rows') this.printRows(p.cols, p.rows, vertical || this.mode.vertical, ms);
      else if (this.mode.summaries) this.out.write(queryOkLines(p.affectedRows, p.warnings, p.info, ms) + '\n');
    }
    if (this.mode.showWarnings) {
      const w = parts.reduce((n, p) => n + (p.kind === 'ok' ? p.warnings : 0), 0);
      if (w > 0 || parts.some((p) => p.kind === 'rows')) await this.printWarnings();
    }
    return undefined;
  }

  private printRows(cols: Column[], rows: RawRow[], vertical: boolean, ms: number): void {
    const o = { binaryAsHex: this.mode.binaryAsHex };
    if (rows.length > 0) {
      if (vertical) this.out.write(formatVertical(cols, rows, o));
      else if (this.mode.table) this.out.write(formatTable(cols, rows, { ...o, columnNames: this.mode.columnNames }));
      else this.out.write(formatBatch(cols, rows, { ...o, columnNames: this.mode.columnNames, raw: this.mode.raw }));
    }
    if (this.mode.summaries) this.out.write(rowsInSetLine(rows.length, 0, ms) + '\n\n');
  }

  private async printWarnings(): Promise<void> {
    try {
      const [rows] = await this.session.conn.query({ sql: 'SHOW WARNINGS' });
      for (const r of rows as unknown as (Buffer | null)[][]) {
        const t = r.map((v) => (v === null ? '' : v.toString('utf8')));
        this.out.write(`${t[0]} (Code ${t[1]}): ${t[2]}\n`);
      }
    } catch (e) {
      this.err.write(toQueryError(e).format() + '\n');
    }
  }

  /** `USE db`, printing "Database changed" as the MySQL client does. */
  async use(database: string): Promise<ClientError | undefined> {
    try {
      await this.session.conn.query({ sql: `USE \`${database.replace(/`/g, '``')}\`` });
      this.out.write('Database changed\n');
      return undefined;
    } catch (e) {
      return toQueryError(e);
    }
  }

  /**
   * Ctrl-C during a statement: `KILL QUERY <id>` over a second connection; the statement then
   * fails with ERROR 1317 and the session goes on. Safe to call more than once.
   */
  cancel(): Promise<void> {
    if (!this.running) return Promise.resolve();
    const id = this.session.conn.threadId;
    this.cancelling ??= (async () => {
      this.out.write(`^C -- sending "KILL QUERY ${id}" to server ...\n`);
      try {
        const k = await this.openAnother();
        try {
          await k.conn.query({ sql: `KILL QUERY ${id}` });
        } finally {
          await k.conn.end().catch(() => k.conn.destroy());
        }
        this.out.write('^C -- query aborted\n');
      } catch (e) {
        const err = e instanceof ClientError ? e : toQueryError(e);
        this.err.write(`^C -- could not cancel: ${err.format()}\n`);
      }
    })().finally(() => {
      this.cancelling = undefined;
    });
    return this.cancelling;
  }

  /** True when the error means the session is gone (reconnect before the next statement). */
  static isConnectionLost(e: ClientError): boolean {
    return e.errno === CR.SERVER_LOST || e.errno === CR.SERVER_GONE_ERROR;
  }
}
