import { describe, expect, it } from 'vitest';
import { ClientUsageError } from '../../../src/client/errors.js';
import { parseMysqlArgs } from '../../../src/client/options.js';

const parse = (...argv: string[]) => parseMysqlArgs(argv, { USER: 'osuser' });

describe('parseMysqlArgs reads the MySQL 8 client command line', () => {
  it('takes the RDS guide line: -h, --ssl-ca=, --ssl-mode=, -P, -u and a bare -p that prompts', () => {
    const o = parse('-h', 'db.example', '--ssl-ca=global-bundle.pem', '--ssl-mode=VERIFY_IDENTITY', '-P', '3306', '-u', 'mymasteruser', '-p');
    expect(o).toMatchObject({ host: 'db.example', port: 3306, user: 'mymasteruser', password: { kind: 'prompt' }, database: undefined });
    expect(o.ssl).toMatchObject({ mode: 'VERIFY_IDENTITY', ca: 'global-bundle.pem' });
    expect(o.warnings).toEqual([]);
  });

  it('takes attached values (-hhost -P3306 -uuser -pSECRET -Ddb)', () => {
    expect(parse('-hdb', '-P3307', '-uadmin', '-pS3cret', '-Dshop')).toMatchObject({ host: 'db', port: 3307, user: 'admin', password: { kind: 'given', value: 'S3cret' }, database: 'shop' });
  });

  it('reads "-p secret" as a prompt plus the database "secret", as mysql does', () => {
    expect(parse('-p', 'secret')).toMatchObject({ password: { kind: 'prompt' }, database: 'secret' });
  });

  it('takes --password=value, --password= (empty) and bare --password (prompt)', () => {
    expect(parse('--password=x y').password).toEqual({ kind: 'given', value: 'x y' });
    expect(parse('--password=').password).toEqual({ kind: 'given', value: '' });
    expect(parse('--password').password).toEqual({ kind: 'prompt' });
  });

  it('bundles flags until one that takes a value (-BNe "sql")', () => {
    expect(parse('-BNe', 'SELECT 1')).toMatchObject({ batch: true, skipColumnNames: true, execute: 'SELECT 1' });
    expect(parse('-tE')).toMatchObject({ table: true, vertical: true });
  });

  it('accepts unique prefixes, underscores and --skip-/--enable- forms', () => {
    expect(parse('--pass=p', '--datab', 'shop', '--ssl_mode=required')).toMatchObject({ password: { kind: 'given', value: 'p' }, database: 'shop', ssl: { mode: 'REQUIRED' } });
    expect(parse('--skip-column-names').skipColumnNames).toBe(true);
    expect(parse('--enable-cleartext-plugin').enableCleartextPlugin).toBe(true);
    expect(parse('--skip-ssl').ssl.mode).toBe('DISABLED');
    expect(parse('--ssl-verify-server-cert').ssl.mode).toBe('VERIFY_IDENTITY');
  });

  it('rejects unknown and ambiguous options and bad values', () => {
    expect(() => parse('--frobnicate')).toThrow(ClientUsageError);
    expect(() => parse('--ssl-c=x')).toThrow(/ambiguous option '--ssl-c'/);
    expect(() => parse('-P', 'abc')).toThrow(/Incorrect integer value/);
    expect(() => parse('--ssl-mode=SOMETIMES')).toThrow(/Unknown value 'SOMETIMES' for option 'ssl-mode'/);
    expect(() => parse('-h')).toThrow(/requires an argument/);
    expect(() => parse('db1', 'db2')).toThrow(/only one database/);
  });

  it('--ssl-ca without --ssl-mode means VERIFY_CA; with a weaker explicit mode it warns like MySQL', () => {
    expect(parse('--ssl-ca=b.pem').ssl.mode).toBe('VERIFY_CA');
    const o = parse('--ssl-ca=b.pem', '--ssl-mode=REQUIRED');
    expect(o.ssl.mode).toBe('REQUIRED');
    expect(o.warnings).toEqual(['WARNING: no verification of server certificate will be done. Use --ssl-mode=VERIFY_CA or VERIFY_IDENTITY.']);
    expect(parse('--ssl-mode=VERIFY_IDENTITY', '--ssl-ca=b.pem').warnings).toEqual([]);
  });

  it('defaults like the MySQL client: localhost:3306, the OS user, no password, PREFERRED', () => {
    const o = parse();
    expect(o).toMatchObject({ host: 'localhost', port: 3306, user: 'osuser', password: { kind: 'none' } });
    expect(o.ssl.mode).toBeUndefined();
    expect(parseMysqlArgs([], { MYSQL_HOST: 'h', MYSQL_TCP_PORT: '3310', USER: 'u' })).toMatchObject({ host: 'h', port: 3310 });
  });

  it("accepts tlsql's global options among the MySQL ones", () => {
    expect(parse('--data-dir', '/d', '-e', 'SELECT 1', '--debug').tlsql).toEqual({ dataDir: '/d', debug: true });
  });

  it('--tls-version takes a comma list', () => {
    expect(parse('--tls-version=TLSv1.2,TLSv1.3').ssl.tlsVersions).toEqual(['TLSv1.2', 'TLSv1.3']);
  });
});
