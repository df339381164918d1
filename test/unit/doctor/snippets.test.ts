import { describe, expect, it } from 'vitest';
import { parseTarget } from '../../../src/doctor/doctor.js';
import { connectionSnippet, SNIPPET_CLIENTS } from '../../../src/doctor/snippets.js';

const p = { host: 'db1.abcdefghijkl.us-east-1.tlsql.localhost', port: 3306, user: 'admin', bundlePath: '/srv/global-bundle.pem' };

describe('connection snippets', () => {
  it('every client verifies chain and host name and never embeds a password', () => {
    for (const c of SNIPPET_CLIENTS) {
      const s = connectionSnippet(c, p);
      expect(s, c).toContain(p.host);
      expect(s, c).toContain('/srv/global-bundle.pem');
      expect(s, c).not.toMatch(/rejectUnauthorized:\s*false|InsecureSkipVerify:\s*true|ssl_verify_cert=False|[?&]tls=skip-verify/);
    }
    expect(connectionSnippet('mysql2', p)).toContain('verifyIdentity: true');
    expect(connectionSnippet('jdbc', p)).toContain('sslMode=VERIFY_IDENTITY');
    expect(connectionSnippet('cli', p)).toContain(`tlsql mysql -h ${p.host} --ssl-ca=/srv/global-bundle.pem --ssl-mode=VERIFY_IDENTITY -P 3306 -u admin -p`);
    expect(connectionSnippet('cli', p)).toContain('--ssl-verify-server-cert');
  });

  it('IAM variants enable the cleartext plugin where the client needs it', () => {
    const iam = { ...p, iam: true, region: 'us-east-1' };
    expect(connectionSnippet('mysql2', iam)).toMatch(/enableCleartextPlugin: true[\s\S]*|new Signer\(/);
    expect(connectionSnippet('mysql2', iam)).toContain("new Signer({ hostname: \"db1.abcdefghijkl.us-east-1.tlsql.localhost\", port: 3306, username: \"admin\", region: \"us-east-1\" })");
    expect(connectionSnippet('go', iam)).toContain('cfg.AllowCleartextPasswords = true');
    expect(connectionSnippet('cli', iam)).toContain('--enable-cleartext-plugin --password="$(aws rds generate-db-auth-token');
  });
});

describe('doctor targets', () => {
  it('reads host:port, [v6]:port, a bare host and a mysql:// URL', () => {
    expect(parseTarget('db.example:3307')).toEqual({ host: 'db.example', port: 3307 });
    expect(parseTarget('[::1]:3306')).toEqual({ host: '::1', port: 3306 });
    expect(parseTarget('db.example', 3310)).toEqual({ host: 'db.example', port: 3310 });
    expect(parseTarget('::1')).toEqual({ host: '::1', port: 3306 });
    expect(parseTarget('mysql://jane@db.example:3308/shop')).toEqual({ host: 'db.example', port: 3308, user: 'jane' });
    expect(() => parseTarget('db:notaport')).toThrow(/bad port/);
  });
});
