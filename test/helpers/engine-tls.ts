import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import type { EngineTls } from '../../src/engine/engine.js';

/** A throwaway CA and a server certificate for `hostname` (CN and DNS SAN), made with the openssl CLI. */
export interface TestPki extends EngineTls {
  hostname: string;
}

/**
 * Creates a P-256 CA and a leaf for `hostname` signed by it (or by `ca` when given, to share a CA).
 * `weakLeafKey`: the leaf gets an RSA-512 key, which OpenSSL's default security level refuses to serve.
 */
export function createTestPki(hostname: string, ca?: { caPem: string; caKeyPem: string }, opts: { weakLeafKey?: boolean } = {}): TestPki & { caKeyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-test-pki-'));
  try {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    if (ca === undefined) {
      openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key');
      openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=tlsql test internal CA', '-days', '2', '-out', 'ca.pem',
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    } else {
      execFileSync('sh', ['-c', 'cat > ca.pem'], { cwd: dir, input: ca.caPem });
      execFileSync('sh', ['-c', 'umask 077; cat > ca.key'], { cwd: dir, input: ca.caKeyPem });
    }
    if (opts.weakLeafKey) openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:512', '-out', 'server.key');
    else openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'server.key');
    openssl('req', '-new', '-key', 'server.key', '-subj', `/CN=${hostname}`, '-out', 'server.csr');
    execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:${hostname}\\nextendedKeyUsage=serverAuth\\nbasicConstraints=critical,CA:FALSE\\n' > ext.cnf`], { cwd: dir });
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${Date.now().toString(16)}`, '-days', '2', '-extfile', 'ext.cnf', '-out', 'server.pem');
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return { hostname, caPem: read('ca.pem'), caKeyPem: read('ca.key'), certPem: read('server.pem'), keyPem: read('server.key') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Connects to a unix socket and writes `prefix` (a PROXY header) before anything else. */
export function socketWithPrefix(socketPath: string, prefix: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect(socketPath, () => {
      s.write(prefix);
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/**
 * Speaks just enough of the MySQL protocol over the engine socket to start TLS (greeting,
 * SSLRequest), then returns the certificate the server presented. Verification is on: chain
 * against `ca` and hostname against `servername`.
 */
export function fetchServerCertificate(socketPath: string, opts: { ca: string; servername: string }): Promise<{ cert: PeerCertificate; protocol: string | null }> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(socketPath);
    const fail = (e: Error) => {
      sock.destroy();
      reject(e);
    };
    sock.once('error', fail);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      const len = buf.readUIntLE(0, 3);
      if (buf.length < 4 + len) return;
      sock.off('data', onData);
      if (buf[4] === 0xff) return fail(new Error(`server sent an error instead of a greeting: ${buf.subarray(7, 4 + len).toString()}`));
      // SSLRequest: CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION.
      const payload = Buffer.alloc(32);
      payload.writeUInt32LE(0x1 | 0x200 | 0x800 | 0x8000, 0);
      payload.writeUInt32LE(16 * 1024 * 1024, 4);
      payload[8] = 45; // utf8mb4_general_ci
      const header = Buffer.from([payload.length, 0, 0, 1]);
      sock.write(Buffer.concat([header, payload]));
      const tls = tlsConnect({ socket: sock, ca: opts.ca, servername: opts.servername }, () => {
        const cert = tls.getPeerCertificate();
        const protocol = tls.getProtocol();
        tls.destroy();
        resolve({ cert, protocol });
      });
      tls.once('error', fail);
    };
    sock.on('data', onData);
  });
}
