/**
 * Recognises settings that switch TLS verification off (or never switch it on) in an
 * application's connection configuration: a JDBC URL, a DSN, a JS/Python options object, a
 * command line or environment. The doctor cannot see what an application does on the wire (a
 * client that skips verification looks the same to the server), so it reads the settings instead.
 */

export interface ConfigFinding {
  /** The text that matched, as found. */
  match: string;
  problem: string;
  fix: string;
}

interface Rule {
  re: RegExp;
  problem: string;
  fix: string;
  /** Extra condition on the whole text. */
  when?: (text: string) => boolean;
}

const VERIFY_FIX_CLI = 'use --ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem';
const VERIFY_FIX_JDBC = 'use sslMode=VERIFY_IDENTITY with a truststore holding the bundle (tlsql doctor <endpoint> --client jdbc)';

const RULES: readonly Rule[] = [
  { re: /NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*['"]?0/i, problem: 'NODE_TLS_REJECT_UNAUTHORIZED=0 turns off certificate checks for every TLS connection of the Node process', fix: 'remove it and give the client the bundle as `ca`' },
  { re: /rejectUnauthorized['"]?\s*[:=]\s*false/i, problem: 'rejectUnauthorized: false accepts any certificate (no chain check, no host name check)', fix: 'remove it and pass the bundle: ssl: { ca: readFileSync("global-bundle.pem"), verifyIdentity: true }' },
  { re: /checkServerIdentity['"]?\s*[:=]\s*(\(\s*\)|function\s*\(\s*\))\s*(=>\s*)?(undefined|null|\{\s*\}|\{\s*return\s*;?\s*\})/i, problem: 'a checkServerIdentity that returns nothing skips the host name check', fix: 'remove the checkServerIdentity override' },
  { re: /verifyIdentity['"]?\s*[:=]\s*false/i, problem: 'mysql2 with verifyIdentity: false checks the chain but not the host name', fix: 'set verifyIdentity: true' },
  {
    re: /ssl['"]?\s*[:=]\s*\{[^}]*\bca\b[^}]*\}/is,
    when: (t) => !/verifyIdentity['"]?\s*[:=]\s*true/i.test(t) && /mysql2|createConnection|createPool/i.test(t) && !/mariadb/i.test(t),
    problem: 'mysql2 checks the chain but not the host name unless ssl.verifyIdentity is true',
    fix: 'add verifyIdentity: true to the ssl options',
  },
  { re: /ssl['"]?\s*[:=]\s*['"]Amazon RDS['"]/i, problem: "mysql2's 'Amazon RDS' ssl profile trusts Amazon's RDS CAs, not tlsql's", fix: 'pass tlsql\'s bundle instead: ssl: { ca: readFileSync("global-bundle.pem"), verifyIdentity: true }' },
  { re: /--ssl-mode[= ]\s*(DISABLED|PREFERRED|REQUIRED)\b/i, problem: 'this --ssl-mode does not verify the server certificate', fix: VERIFY_FIX_CLI },
  { re: /--ssl-mode[= ]\s*VERIFY_CA\b/i, problem: '--ssl-mode=VERIFY_CA checks the chain but not the host name: any endpoint certified by the same CA is accepted', fix: VERIFY_FIX_CLI },
  { re: /--skip-ssl\b(?!-)|--ssl=(0|off|false)\b|--disable-ssl\b(?!-)/i, problem: 'TLS is switched off', fix: VERIFY_FIX_CLI },
  { re: /--(skip|disable)-ssl-verify-server-cert\b|--ssl-verify-server-cert=(0|off|false)\b/i, problem: 'the MariaDB client does not check the server certificate', fix: 'use --ssl-verify-server-cert with --ssl-ca=global-bundle.pem (or tlsql mysql --ssl-mode=VERIFY_IDENTITY)' },
  {
    re: /\b(mariadb|mysql)\s+[^\n]*--ssl-ca[= ]/i,
    when: (t) => !/--ssl-verify-server-cert(?!=(0|off|false))/i.test(t) && !/--ssl-mode/i.test(t),
    problem: "Debian's mysql/mariadb client (MariaDB 10.11) checks the host name only with --ssl-verify-server-cert",
    fix: 'add --ssl-verify-server-cert (or use tlsql mysql --ssl-mode=VERIFY_IDENTITY)',
  },
  { re: /sslMode=(DISABLED|PREFERRED|REQUIRED)\b/i, problem: 'this JDBC sslMode does not verify the server certificate', fix: VERIFY_FIX_JDBC },
  { re: /sslMode=VERIFY_CA\b/i, problem: 'JDBC sslMode=VERIFY_CA checks the chain but not the host name', fix: VERIFY_FIX_JDBC },
  { re: /sslMode=(trust|no-verification)\b/, problem: 'MariaDB Connector/J sslMode=trust encrypts without verifying', fix: 'use sslMode=verify-full&serverSslCert=/path/global-bundle.pem' },
  { re: /sslMode=verify-ca\b/, problem: 'MariaDB Connector/J sslMode=verify-ca does not check the host name', fix: 'use sslMode=verify-full' },
  { re: /verifyServerCertificate=false/i, problem: 'Connector/J verifyServerCertificate=false accepts any certificate', fix: VERIFY_FIX_JDBC },
  { re: /trustServerCertificate=true/i, problem: 'trustServerCertificate=true accepts any certificate', fix: 'remove it and configure the bundle as trust store' },
  { re: /useSSL=false/i, problem: 'useSSL=false connects in plaintext', fix: VERIFY_FIX_JDBC },
  { re: /[?&]tls=skip-verify\b/i, problem: 'Go driver tls=skip-verify encrypts without verifying', fix: 'register a tls.Config with the bundle as RootCAs (tlsql doctor <endpoint> --client go)' },
  { re: /[?&]tls=(true|preferred)\b/i, problem: "Go driver tls=true verifies against the system roots, which do not hold tlsql's CA (tls=preferred does not verify at all)", fix: 'register a tls.Config with the bundle as RootCAs (tlsql doctor <endpoint> --client go)' },
  { re: /InsecureSkipVerify\s*:\s*true/, problem: 'InsecureSkipVerify: true accepts any certificate', fix: 'remove it and set RootCAs to the bundle' },
  { re: /ssl_verify_cert\s*=\s*False/, problem: 'PyMySQL ssl_verify_cert=False accepts any certificate', fix: 'use ssl_ca="global-bundle.pem", ssl_verify_cert=True, ssl_verify_identity=True' },
  { re: /ssl_verify_identity\s*=\s*False/, problem: 'PyMySQL ssl_verify_identity=False does not check the host name', fix: 'set ssl_verify_identity=True' },
  { re: /['"]?check_hostname['"]?\s*[:=]\s*False/, problem: 'check_hostname False skips the host name check', fix: 'remove it' },
  { re: /CERT_NONE/, problem: 'ssl.CERT_NONE accepts any certificate', fix: 'use ssl.CERT_REQUIRED with the bundle as cafile' },
  { re: /ssl_disabled\s*=\s*True/, problem: 'ssl_disabled=True connects in plaintext', fix: 'remove it and pass ssl_ca="global-bundle.pem", ssl_verify_identity=True' },
  { re: /MYSQL_ATTR_SSL_VERIFY_SERVER_CERT\s*=>\s*false/i, problem: 'PDO MYSQL_ATTR_SSL_VERIFY_SERVER_CERT => false accepts any certificate', fix: 'set it to true and MYSQL_ATTR_SSL_CA to the bundle' },
  { re: /sslaccept=accept_invalid_certs/i, problem: 'sslaccept=accept_invalid_certs accepts any certificate', fix: 'use sslaccept=strict with sslcert pointing to the bundle' },
  { re: /(?<!-)ssl[-_]mode=(disabled|preferred|required)\b/i, problem: 'this ssl-mode does not verify the server certificate', fix: 'use ssl-mode=VERIFY_IDENTITY with the bundle as CA' },
];

/** Every setting in `text` that weakens or disables verification, in order of appearance. */
export function lintAppConfig(text: string): ConfigFinding[] {
  const found: { at: number; f: ConfigFinding }[] = [];
  const seen = new Set<string>();
  for (const r of RULES) {
    if (r.when !== undefined && !r.when(text)) continue;
    const m = r.re.exec(text);
    if (m === null) continue;
    const key = `${m.index}:${r.problem}`;
    if (seen.has(key)) continue;
    seen.add(key);
    found.push({ at: m.index, f: { match: m[0].replace(/\s+/g, ' ').slice(0, 80), problem: r.problem, fix: r.fix } });
  }
  // `--ssl-mode=REQUIRED` also matches the generic ssl-mode rule: keep the first finding per spot.
  const bySpot = new Map<number, ConfigFinding>();
  for (const x of found.sort((a, b) => a.at - b.at)) if (!bySpot.has(x.at)) bySpot.set(x.at, x.f);
  return [...bySpot.values()];
}
