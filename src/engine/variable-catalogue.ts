import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';

const execFileP = promisify(execFile);

/**
 * One server variable of the installed engine, as `information_schema.SYSTEM_VARIABLES` describes
 * it. The control plane turns these into parameter group parameters (control/parameter-catalogue.ts).
 */
export interface EngineVariableInfo {
  name: string;
  /** `GLOBAL`, `SESSION` (global and session) or `SESSION ONLY`. */
  scope: string;
  /** e.g. `BIGINT UNSIGNED`, `BOOLEAN`, `ENUM`, `SET`, `FLAGSET`, `VARCHAR`, `DOUBLE`. */
  type: string;
  /** The compiled-in default (not what any configuration file set). */
  defaultValue: string | null;
  comment: string;
  /** Decimal text (64-bit values do not fit a JS number). */
  min: string | null;
  max: string | null;
  /** Members of an ENUM, SET or FLAGSET. */
  enumValues: string[] | null;
  /** True when the variable cannot be changed on a running server (static). */
  readOnly: boolean;
  /** `NONE`, `OPTIONAL`, `REQUIRED`, or null when there is no command-line form. */
  commandLine: string | null;
}

/** The catalogue of one engine build, with the character sets and collations it knows. */
export interface EngineVariableCatalogue {
  /** `mariadbd --version` of the build it was read from. */
  mariadbdVersion: string;
  variables: EngineVariableInfo[];
  characterSets: string[];
  collations: string[];
}

/** Where the catalogue of the engine `version` is cached: beside its template datadir. */
export function cataloguePath(templatesDir: string, version: string): string {
  return join(templatesDir, `mariadb-${version}.variables.json`);
}

/** `mariadbd --version`, the key the cached catalogue is valid for (a rebuilt package changes it). */
export async function mariadbdVersionLine(mariadbd: string): Promise<string> {
  const { stdout } = await execFileP(mariadbd, ['--version']);
  return stdout.trim();
}

/** Reads every server variable, character set and collation from a running server. */
export async function readVariableCatalogue(conn: Connection, mariadbdVersion: string): Promise<EngineVariableCatalogue> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT VARIABLE_NAME, VARIABLE_SCOPE, VARIABLE_TYPE, DEFAULT_VALUE, VARIABLE_COMMENT, NUMERIC_MIN_VALUE,
            NUMERIC_MAX_VALUE, ENUM_VALUE_LIST, READ_ONLY, COMMAND_LINE_ARGUMENT
       FROM information_schema.SYSTEM_VARIABLES ORDER BY VARIABLE_NAME`,
  );
  const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
  const variables = rows.map((r) => ({
    name: String(r.VARIABLE_NAME).toLowerCase(),
    scope: String(r.VARIABLE_SCOPE),
    type: String(r.VARIABLE_TYPE),
    defaultValue: text(r.DEFAULT_VALUE),
    comment: String(r.VARIABLE_COMMENT ?? ''),
    min: text(r.NUMERIC_MIN_VALUE),
    max: text(r.NUMERIC_MAX_VALUE),
    enumValues: r.ENUM_VALUE_LIST === null ? null : String(r.ENUM_VALUE_LIST).split(',').filter((s) => s !== ''),
    readOnly: String(r.READ_ONLY) === 'YES',
    commandLine: text(r.COMMAND_LINE_ARGUMENT),
  }));
  const [cs] = await conn.query<RowDataPacket[]>('SELECT CHARACTER_SET_NAME AS n FROM information_schema.CHARACTER_SETS ORDER BY 1');
  const [co] = await conn.query<RowDataPacket[]>('SELECT COLLATION_NAME AS n FROM information_schema.COLLATIONS ORDER BY 1');
  return { mariadbdVersion, variables, characterSets: cs.map((r) => String(r.n)), collations: co.map((r) => String(r.n)) };
}

/**
 * Writes the catalogue atomically (a concurrent reader never sees half a file). The temporary
 * name is unique per write, not per process: two engines of one process may build their templates
 * at once (mariadb-template.ts), and the last rename wins with an identical file.
 */
export async function writeVariableCatalogue(path: string, cat: EngineVariableCatalogue): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(cat), { mode: 0o600 });
  await rename(tmp, path);
}

/** The cached catalogue, or null when there is none for this `mariadbd --version`. */
export async function readCachedCatalogue(path: string, mariadbdVersion: string): Promise<EngineVariableCatalogue | null> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const cat = JSON.parse(raw) as EngineVariableCatalogue;
  return cat.mariadbdVersion === mariadbdVersion && Array.isArray(cat.variables) ? cat : null;
}
