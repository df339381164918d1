/**
 * Connection snippets that verify the endpoint properly (chain AND host name) for common clients.
 * Each one has the settings people get wrong called out in a comment: mysql2 checks the host name
 * only with `verifyIdentity: true`; Connector/J needs `sslMode=VERIFY_IDENTITY` and a truststore
 * holding every root of the bundle (keytool imports one certificate per call); Go's `tls=true`
 * uses the system roots and `tls=skip-verify` checks nothing. Passwords come from the environment
 * (`DB_PASSWORD`), never from the snippet.
 */

/** Clients `--client` prints snippets for. */
export const SNIPPET_CLIENTS = ['mysql2', 'mariadb', 'jdbc', 'pymysql', 'go', 'cli'] as const;
/** One of SNIPPET_CLIENTS. */
export type SnippetClient = (typeof SNIPPET_CLIENTS)[number];

export interface SnippetParams {
  host: string;
  port: number;
  user: string;
  /** Absolute path of the bundle that verifies the endpoint (roots only). */
  bundlePath: string;
  database?: string;
  /** Log in with an IAM token (the token is generated in the snippet, or taken from DB_TOKEN). */
  iam?: boolean;
  /** Region for the IAM signer. */
  region?: string;
}

const js = (s: string) => JSON.stringify(s);
const py = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const sh = (s: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function mysql2(p: SnippetParams): string {
  const iamImport = p.iam ? `import { Signer } from '@aws-sdk/rds-signer';\n` : '';
  const password = p.iam
    ? `await new Signer({ hostname: ${js(p.host)}, port: ${p.port}, username: ${js(p.user)}, region: ${js(p.region ?? 'us-east-1')} }).getAuthToken()`
    : 'process.env.DB_PASSWORD';
  return `// Node.js, mysql2 (npm i mysql2${p.iam ? ' @aws-sdk/rds-signer' : ''})
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
${iamImport}
const conn = await mysql.createConnection({
  host: ${js(p.host)}, // the endpoint name: the certificate is issued for it
  port: ${p.port},
  user: ${js(p.user)},
  password: ${password},${p.database ? `\n  database: ${js(p.database)},` : ''}
  ssl: {
    ca: readFileSync(${js(p.bundlePath)}, 'utf8'),
    // mysql2 checks the chain by default but NOT the host name: without this line any
    // certificate from the same CA is accepted.
    verifyIdentity: true,
  },${p.iam ? '\n  enableCleartextPlugin: true, // the token is sent as a cleartext password, inside TLS' : ''}
});
const [rows] = await conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
console.log(rows);
await conn.end();
`;
}

function mariadbNode(p: SnippetParams): string {
  return `// Node.js, MariaDB connector (npm i mariadb)
import { readFileSync } from 'node:fs';
import mariadb from 'mariadb';

const conn = await mariadb.createConnection({
  host: ${js(p.host)}, // the endpoint name: the certificate is issued for it
  port: ${p.port},
  user: ${js(p.user)},
  password: process.env.${p.iam ? 'DB_TOKEN' : 'DB_PASSWORD'},${p.database ? `\n  database: ${js(p.database)},` : ''}
  // With a CA, the connector checks the chain and the host name (rejectUnauthorized defaults to
  // true): never turn rejectUnauthorized off or override checkServerIdentity.
  ssl: { ca: readFileSync(${js(p.bundlePath)}, 'utf8') },${p.iam ? '\n  // IAM: the token is the password; the connector answers mysql_clear_password only over TLS.' : ''}
});
console.log(await conn.query("SHOW SESSION STATUS LIKE 'Ssl_version'"));
await conn.end();
`;
}

function jdbc(p: SnippetParams): string {
  const db = p.database ?? '';
  return `# Java, MySQL Connector/J 8+. A JDBC truststore must hold every root of the bundle, and keytool
# imports ONE certificate per call: split the bundle first.
mkdir -p tlsql-certs && cd tlsql-certs
awk '/-----BEGIN CERTIFICATE-----/ {n++} {print > ("root-" n ".pem")}' ${sh(p.bundlePath)}
for f in root-*.pem; do
  keytool -importcert -noprompt -alias "tlsql-$f" -file "$f" \\
    -keystore tlsql-truststore.p12 -storetype PKCS12 -storepass changeit
done

// JDBC URL: VERIFY_IDENTITY checks the chain AND the host name (VERIFY_CA does not check the name;
// REQUIRED and verifyServerCertificate=false check nothing).
String url = "jdbc:mysql://${p.host}:${p.port}/${db}"
    + "?sslMode=VERIFY_IDENTITY"
    + "&trustCertificateKeyStoreUrl=file:" + System.getProperty("user.dir") + "/tlsql-certs/tlsql-truststore.p12"
    + "&trustCertificateKeyStoreType=PKCS12"
    + "&trustCertificateKeyStorePassword=changeit";${p.iam ? '\n// IAM: pass the token as the password; Connector/J answers mysql_clear_password only over TLS.' : ''}
Connection conn = DriverManager.getConnection(url, ${js(p.user)}, System.getenv("${p.iam ? 'DB_TOKEN' : 'DB_PASSWORD'}"));

// MariaDB Connector/J 3 instead takes the PEM bundle directly:
//   jdbc:mariadb://${p.host}:${p.port}/${db}?sslMode=verify-full&serverSslCert=${p.bundlePath}
`;
}

function pymysql(p: SnippetParams): string {
  const iam = p.iam
    ? `import boto3\ntoken = boto3.client('rds', region_name=${py(p.region ?? 'us-east-1')}).generate_db_auth_token(\n    DBHostname=${py(p.host)}, Port=${p.port}, DBUsername=${py(p.user)})\n`
    : '';
  return `# Python, PyMySQL (pip install pymysql${p.iam ? ' boto3' : ''})
import os
import pymysql
${iam}
conn = pymysql.connect(
    host=${py(p.host)},  # the endpoint name: the certificate is issued for it
    port=${p.port},
    user=${py(p.user)},
    password=${p.iam ? 'token' : "os.environ['DB_PASSWORD']"},${p.database ? `\n    database=${py(p.database)},` : ''}
    ssl_ca=${py(p.bundlePath)},
    ssl_verify_cert=True,      # check the chain against the bundle
    ssl_verify_identity=True,  # and the host name${p.iam ? '\n    # IAM: PyMySQL answers mysql_clear_password with the token (inside TLS).' : ''}
)
with conn.cursor() as cur:
    cur.execute("SHOW SESSION STATUS LIKE 'Ssl_version'")
    print(cur.fetchone())
`;
}

function go(p: SnippetParams): string {
  return `// Go, github.com/go-sql-driver/mysql
package main

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"log"
	"os"

	"github.com/go-sql-driver/mysql"
)

func main() {
	pem, err := os.ReadFile(${js(p.bundlePath)})
	if err != nil {
		log.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		log.Fatal("no certificates in the bundle")
	}
	// tls=true would use the system roots (which do not hold tlsql's CA) and tls=skip-verify checks
	// nothing: register a config with the bundle. ServerName is the endpoint: the name is checked.
	if err := mysql.RegisterTLSConfig("tlsql", &tls.Config{RootCAs: roots, ServerName: ${js(p.host)}, MinVersion: tls.VersionTLS12}); err != nil {
		log.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User = ${js(p.user)}
	cfg.Passwd = os.Getenv("${p.iam ? 'DB_TOKEN' : 'DB_PASSWORD'}")
	cfg.Net = "tcp"
	cfg.Addr = "${p.host}:${p.port}"${p.database ? `\n\tcfg.DBName = ${js(p.database)}` : ''}
	cfg.TLSConfig = "tlsql"${p.iam ? '\n\tcfg.AllowCleartextPasswords = true // IAM tokens are sent as cleartext passwords, inside TLS' : ''}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		log.Fatal(err)
	}
	var name, version string
	if err := db.QueryRow("SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &version); err != nil {
		log.Fatal(err)
	}
	log.Println(name, version)
}
`;
}

function cli(p: SnippetParams): string {
  const pw = p.iam ? `--enable-cleartext-plugin --password="$(aws rds generate-db-auth-token --hostname ${p.host} --port ${p.port} --username ${sh(p.user)} --region ${p.region ?? 'us-east-1'})"` : '-p';
  const db = p.database ? ` ${sh(p.database)}` : '';
  return `# tlsql's client (MySQL 8 options; VERIFY_IDENTITY checks the chain and the host name):
tlsql mysql -h ${p.host} --ssl-ca=${sh(p.bundlePath)} --ssl-mode=VERIFY_IDENTITY -P ${p.port} -u ${sh(p.user)} ${pw}${db}

# Oracle's MySQL 8 client: the same options.
# Debian's mysql/mariadb client (MariaDB) has no --ssl-mode; the host name is checked only with
# --ssl-verify-server-cert:
mariadb -h ${p.host} -P ${p.port} -u ${sh(p.user)} ${p.iam ? pw.replace('--enable-cleartext-plugin ', '') : '-p'} --ssl-ca=${sh(p.bundlePath)} --ssl-verify-server-cert${db}
`;
}

/** The snippet for `client`. */
export function connectionSnippet(client: SnippetClient, p: SnippetParams): string {
  switch (client) {
    case 'mysql2':
      return mysql2(p);
    case 'mariadb':
      return mariadbNode(p);
    case 'jdbc':
      return jdbc(p);
    case 'pymysql':
      return pymysql(p);
    case 'go':
      return go(p);
    case 'cli':
      return cli(p);
  }
}
