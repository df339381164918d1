import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBundle, linkChain, parseBundle, regionOfCa, type Bundle } from '../../../src/doctor/chain.js';
import { certificateNames, checkHostName } from '../../../src/doctor/hostname.js';

const HOST = 'db1.abcdefghijkl.us-east-1.tlsql.localhost';
let dir: string;
const pem: Record<string, string> = {};

/** A root, a subordinate and a leaf like tlsql's (EC keys for speed), plus look-alikes. */
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
}
function root(name: string, cn: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/C=US/O=tlsql/CN=${cn}`, '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', `${name}.pem`);
}
function signed(name: string, cn: string, issuer: string, ext: string, days: number): void {
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-subj', `/C=US/O=tlsql/CN=${cn}`, '-out', `${name}.csr`);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-set_serial', String(Math.floor(Math.random() * 1e9)), '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsql-chain-'));
  root('root', 'tlsql us-east-1 Root CA RSA2048 G1');
  root('eu', 'tlsql eu-west-1 Root CA RSA2048 G1');
  root('old', 'tlsql us-east-1 Root CA RSA2048 G1');
  root('other', 'Some Other Root');
  signed('sub', 'tlsql us-east-1 Subordinate CA RSA2048 G1.A.1', 'root', 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n', 3000);
  signed('leaf', HOST, 'sub', `subjectAltName=DNS:${HOST}\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n`, 365);
  for (const n of ['root', 'eu', 'old', 'other', 'sub', 'leaf']) pem[n] = readFileSync(join(dir, `${n}.pem`), 'utf8');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const x = (n: string) => new X509Certificate(pem[n] as string);
const bundle = (...names: string[]): Bundle => parseBundle(`${names.join('+')}.pem`, names.map((n) => pem[n]).join(''), 'ssl-ca');
const now = () => new Date();

describe('chain checks against bundles', () => {
  it('links the sent chain from the leaf up, whatever the order, and sets a sent root apart', () => {
    const { chain, sentRoot } = linkChain([x('leaf'), x('root'), x('sub')]);
    expect(chain.map((c) => c.subject)).toEqual([x('leaf').subject, x('sub').subject]);
    expect(sentRoot?.subject).toBe(x('root').subject);
  });

  it('verifies with the bundle holding the root (among others)', () => {
    const { chain } = linkChain([x('leaf'), x('sub')]);
    const c = checkBundle(chain, bundle('eu', 'root', 'other'), now());
    expect(c.verdict).toBe('verifies');
    expect(c.anchor).toBe('tlsql us-east-1 Root CA RSA2048 G1');
  });

  it('names the mistake when it does not verify', () => {
    const { chain } = linkChain([x('leaf'), x('sub')]);
    expect(checkBundle(chain, bundle('other'), now()).verdict).toBe('no-issuer');
    expect(checkBundle(chain, bundle('eu'), now()).verdict).toBe('other-region');
    expect(checkBundle(chain, bundle('old'), now()).verdict).toBe('outdated');
    expect(checkBundle(chain, bundle('sub'), now()).verdict).toBe('intermediate-only');
    expect(checkBundle(chain, bundle('leaf'), now()).verdict).toBe('pinned-leaf');
    expect(checkBundle(chain, parseBundle('empty.pem', '', 'ssl-ca'), now()).verdict).toBe('empty');
  });

  it('reports expiry at an injected time instead of verifying', () => {
    const { chain } = linkChain([x('leaf'), x('sub')]);
    const later = new Date(Date.now() + 400 * 86_400_000);
    const c = checkBundle(chain, bundle('root'), later);
    expect(c.verdict).toBe('expired');
    expect(c.detail).toContain(`"${HOST}"`);
  });

  it('reads the region from CA names', () => {
    expect(regionOfCa('tlsql eu-west-1 Root CA RSA2048 G1')).toBe('eu-west-1');
    expect(regionOfCa('Amazon RDS ap-southeast-2 Root CA ECC384 G1')).toBe('ap-southeast-2');
    expect(regionOfCa('Some Other Root')).toBeUndefined();
  });
});

describe('host name checks', () => {
  const resolved = { addresses: ['127.0.0.1'], cnames: [] as string[] };

  it('matches the endpoint name and lists the names in the certificate', async () => {
    const r = await checkHostName(HOST, x('leaf'), resolved);
    expect(r).toMatchObject({ ok: true, matched: HOST, cause: 'ok' });
    expect(certificateNames(x('leaf'))).toEqual([`DNS:${HOST}`]);
  });

  it('explains an IP address, localhost and a CNAME', async () => {
    expect((await checkHostName('127.0.0.1', x('leaf'), resolved)).cause).toBe('ip-address');
    expect((await checkHostName('localhost', x('leaf'), resolved)).cause).toBe('localhost');
    const cname = await checkHostName('db.corp.example', x('leaf'), { addresses: ['10.0.0.1'], cnames: [`${HOST}.`] });
    expect(cname.cause).toBe('cname');
    expect(cname.fix).toBe(`connect with -h ${HOST} (or, for a custom name, the server certificate would have to include db.corp.example)`);
  });

  it('tells another instance from an alias with the data dir at hand', async () => {
    const other = 'db2.abcdefghijkl.us-east-1.tlsql.localhost';
    expect((await checkHostName(other, x('leaf'), resolved, { isInstance: (id) => id === 'db2' })).cause).toBe('other-endpoint');
    expect((await checkHostName(other, x('leaf'), resolved, { isInstance: () => false })).cause).toBe('alias');
  });
});
