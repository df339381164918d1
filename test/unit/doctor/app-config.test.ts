import { describe, expect, it } from 'vitest';
import { lintAppConfig } from '../../../src/doctor/app-config.js';

const matches = (text: string) => lintAppConfig(text).map((f) => f.match);

describe('settings that switch verification off', () => {
  it('finds them in JDBC URLs', () => {
    expect(matches('jdbc:mysql://h:3306/db?sslMode=VERIFY_CA')).toEqual(['sslMode=VERIFY_CA']);
    expect(matches('jdbc:mysql://h/db?useSSL=false')).toEqual(['useSSL=false']);
    expect(matches('jdbc:mariadb://h/db?sslMode=trust')).toEqual(['sslMode=trust']);
    expect(matches('jdbc:mysql://h/db?sslMode=VERIFY_IDENTITY&trustCertificateKeyStoreUrl=file:/t.p12')).toEqual([]);
  });

  it('finds them in Node options', () => {
    expect(matches("mysql.createConnection({ host, ssl: { ca: readFileSync('b.pem') } })")).toEqual(["ssl: { ca: readFileSync('b.pem') }"]);
    expect(matches("mysql.createConnection({ ssl: { ca, verifyIdentity: true } })")).toEqual([]);
    expect(matches('{ ssl: { rejectUnauthorized: false } }')).toEqual(['rejectUnauthorized: false']);
    expect(matches('checkServerIdentity: () => undefined')).toEqual(['checkServerIdentity: () => undefined']);
    expect(matches("ssl: 'Amazon RDS'")).toEqual(["ssl: 'Amazon RDS'"]);
    expect(matches('NODE_TLS_REJECT_UNAUTHORIZED=0 node app.js')).toEqual(['NODE_TLS_REJECT_UNAUTHORIZED=0']);
  });

  it('finds them in command lines, Go DSNs and Python', () => {
    expect(matches('mysql -h h --ssl-mode=REQUIRED -u u -p')).toEqual(['--ssl-mode=REQUIRED']);
    expect(matches('mariadb -h h --ssl-ca=b.pem -u u -p')).toEqual(['mariadb -h h --ssl-ca=']);
    expect(matches('mariadb -h h --ssl-ca=b.pem --ssl-verify-server-cert')).toEqual([]);
    expect(matches('user:pw@tcp(h:3306)/db?tls=skip-verify')).toEqual(['?tls=skip-verify']);
    expect(matches('pymysql.connect(ssl_ca="b.pem", ssl_verify_identity=False)')).toEqual(['ssl_verify_identity=False']);
  });
});
