import { describe, expect, it } from 'vitest';
import { CHANGES_ACCOUNTS, MENTIONS_IAM_PLUGIN, findIamClauses, rewriteIamClauses } from '../../../src/dataplane/account-statements.js';

const rewrite = (sql: string) => rewriteIamClauses(sql, (c) => `IDENTIFIED VIA mysql_native_password USING '<${c.user}@${c.host}>'`);

describe('IAM account statements', () => {
  it('rewrites the RDS syntax and keeps every other byte', () => {
    expect(rewrite("CREATE USER 'jane'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")?.sql).toBe("CREATE USER 'jane'@'%' IDENTIFIED VIA mysql_native_password USING '<jane@%>'");
    expect(rewrite("create user if not exists `jane` identified with 'AWSAuthenticationPlugin' as 'RDS' REQUIRE SSL;")?.sql).toBe(
      "create user if not exists `jane` IDENTIFIED VIA mysql_native_password USING '<jane@%>' REQUIRE SSL;",
    );
    expect(rewrite('CREATE OR REPLACE USER jane@localhost IDENTIFIED VIA awsauthenticationplugin USING "RDS"')?.sql).toBe(
      "CREATE OR REPLACE USER jane@localhost IDENTIFIED VIA mysql_native_password USING '<jane@localhost>'",
    );
    expect(rewrite("ALTER USER IF EXISTS 'jane'@'10.0.0.%' IDENTIFIED WITH AWSAuthenticationPlugin")?.sql).toBe("ALTER USER IF EXISTS 'jane'@'10.0.0.%' IDENTIFIED VIA mysql_native_password USING '<jane@10.0.0.%>'");
  });

  it('rewrites only the IAM accounts of a list, and dump output with OR alternatives', () => {
    const r = rewrite("CREATE USER 'a'@'%' IDENTIFIED BY 'pw', 'b'@'HOST' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS', c");
    expect(r?.sql).toBe("CREATE USER 'a'@'%' IDENTIFIED BY 'pw', 'b'@'HOST' IDENTIFIED VIA mysql_native_password USING '<b@host>', c");
    const dump = "CREATE USER `jane`@`%` IDENTIFIED VIA AWSAuthenticationPlugin USING 'RDS' OR mysql_native_password USING '*0123456789ABCDEF0123456789ABCDEF01234567' REQUIRE SSL";
    expect(rewrite(dump)?.sql).toBe("CREATE USER `jane`@`%` IDENTIFIED VIA mysql_native_password USING '<jane@%>' REQUIRE SSL");
  });

  it('decodes quoted names (escapes, doubled quotes, UTF-8) and sees through comments', () => {
    const name = Buffer.from("CREATE USER 'j\\'o''é'@'%' IDENTIFIED WITH AWSAuthenticationPlugin", 'utf8').toString('latin1');
    expect(findIamClauses(name).map((c) => c.user)).toEqual(["j'o'é"]);
    expect(findIamClauses("/* x */ CREATE /*!50000 USER */ 'k' -- c\n IDENTIFIED # c\n WITH AWSAuthenticationPlugin").map((c) => c.user)).toEqual(['k']);
  });

  it('leaves alone what is not an account statement with the plugin', () => {
    expect(rewrite("SELECT 'CREATE USER x IDENTIFIED WITH AWSAuthenticationPlugin'")).toBeNull();
    expect(rewrite("CREATE USER 'jane'@'%' IDENTIFIED BY 'AWSAuthenticationPlugin'")).toBeNull();
    expect(rewrite("GRANT SELECT ON *.* TO jane IDENTIFIED VIA AWSAuthenticationPlugin")).toBeNull();
    expect(rewrite("ALTER USER CURRENT_USER() IDENTIFIED WITH AWSAuthenticationPlugin")).toBeNull();
  });

  it('splits statements at top-level semicolons only', () => {
    const r = rewrite("SELECT ';'; CREATE USER 'x' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'; SELECT 1");
    expect(r?.accounts.map((a) => a.user)).toEqual(['x']);
    expect(r?.sql).toBe("SELECT ';'; CREATE USER 'x' IDENTIFIED VIA mysql_native_password USING '<x@%>'; SELECT 1");
  });

  it('flags statements that may change accounts, and not ordinary queries', () => {
    for (const s of ['DROP USER jane', 'rename  user a to b', 'ALTER USER x REQUIRE SSL', 'GRANT ALL ON *.* TO x', 'SET PASSWORD FOR x = PASSWORD("y")', 'FLUSH PRIVILEGES', 'UPDATE mysql.global_priv SET Priv = 1', 'create user y']) {
      expect(CHANGES_ACCOUNTS.test(s), s).toBe(true);
    }
    for (const s of ['SELECT * FROM users', 'INSERT INTO t VALUES (1)', "SELECT 'user'", 'SELECT USER()']) expect(CHANGES_ACCOUNTS.test(s), s).toBe(false);
    expect(MENTIONS_IAM_PLUGIN.test('x awsAuthenticationPlugin')).toBe(true);
  });
});
