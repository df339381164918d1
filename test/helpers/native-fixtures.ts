import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { NativeDataplane } from '../../src/dataplane/native/native-dataplane.js';
import type { NativeSession } from '../../src/dataplane/native/native-session.js';

/** A CA made with the openssl command line, issuing server and client certificates. */
export interface TestCa {
  certPem: string;
  /** A server certificate for `dnsName` (EKU serverAuth), PEM cert and key. */
  server(dnsName: string, opts?: { keyType?: 'ec' | 'rsa' }): { certPem: string; keyPem: string };
  /** A client certificate (EKU clientAuth); `expired` makes one that expired in 2020. */
  client(subject: string, opts?: { expired?: boolean }): { certPem: string; keyPem: string };
}

const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };

/** A self-signed P-256 CA (CA:TRUE), valid 2 days. */
export function testCa(subject: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-native-ca-'));
  const caCert = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert, '-subj', subject, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], quiet);
  let n = 0;
  const issue = (leafSubject: string, ext: string, keyType: 'ec' | 'rsa', expired: boolean) => {
    const name = `leaf${n++}`;
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    const extFile = join(dir, `${name}.ext`);
    writeFileSync(extFile, ext);
    const keyArgs = keyType === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    execFileSync('openssl', ['req', '-new', ...keyArgs, '-nodes', '-keyout', key, '-out', csr, '-subj', leafSubject], quiet);
    if (expired) {
      // `openssl x509` (3.0) cannot backdate; `openssl ca` takes explicit dates.
      const db = join(dir, `${name}.db`);
      writeFileSync(db, '');
      writeFileSync(join(dir, `${name}.cnf`), `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}\nnew_certs_dir=${dir}\nrand_serial=yes\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`);
      execFileSync('openssl', ['ca', '-batch', '-notext', '-config', join(dir, `${name}.cnf`), '-cert', caCert, '-keyfile', caKey, '-in', csr, '-out', cert, '-startdate', '20200101000000Z', '-enddate', '20200102000000Z', '-extfile', extFile], quiet);
    } else {
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', extFile], quiet);
    }
    return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  };
  return {
    certPem: readFileSync(caCert, 'utf8'),
    server: (dnsName, opts = {}) =>
      issue(`/CN=${dnsName}`, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:${dnsName}\n`, opts.keyType ?? 'ec', false),
    client: (subject, opts = {}) => issue(subject, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n', 'ec', opts.expired ?? false),
  };
}

/** The 4-byte preamble a client sends before TLS in these tests (standing for the MySQL SSLRequest). */
export const PREAMBLE = Buffer.from('SSLR');

/** A listening server; close() resolves once it stopped. */
export interface Listening {
  close(): Promise<void>;
}

/** A unix-socket "engine": plain, or TLS after the 4-byte preamble; `onSecure` gets each connection's stream. */
export async function startEngine(path: string, opts: { tls?: tls.SecureContextOptions; onStream: (s: net.Socket | tls.TLSSocket) => void }): Promise<Listening & { connections: net.Socket[] }> {
  const connections: net.Socket[] = [];
  // One context for all connections: its ticket keys are what lets a link resume.
  const secureContext = opts.tls ? tls.createSecureContext(opts.tls) : null;
  const server = net.createServer((socket) => {
    connections.push(socket);
    socket.on('error', () => {});
    if (!secureContext) {
      opts.onStream(socket);
      return;
    }
    const onReadable = () => {
      const pre = socket.read(4) as Buffer | null;
      if (!pre) return;
      socket.off('readable', onReadable);
      const t = new tls.TLSSocket(socket, { isServer: true, secureContext });
      t.on('error', () => {});
      t.once('secure', () => opts.onStream(t));
    };
    socket.on('readable', onReadable);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A front door stand-in: every accepted connection becomes a native session handed to `onSession`. */
export async function startFrontDoor(dp: NativeDataplane, engine: string, onSession: (s: NativeSession) => void): Promise<Listening & { port: number }> {
  const server = net.createServer({ pauseOnConnect: true }, (socket) => onSession(dp.openSession(socket, engine)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return { port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Resolves with the next `n` bytes a stream yields (or rejects when it ends first). */
export function readBytes(stream: NodeJS.ReadableStream & { read(n?: number): Buffer | null }, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let have = 0;
    const onData = (d: Buffer) => {
      parts.push(d);
      have += d.length;
      if (have >= n) {
        cleanup();
        const all = Buffer.concat(parts);
        if (all.length > n) (stream as unknown as { unshift(b: Buffer): void }).unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new Error(`stream ended after ${have} of ${n} bytes`));
    };
    const cleanup = () => {
      // Without a 'data' listener a flowing stream would drop what comes next.
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.resume(); // a 'data' listener alone does not restart a stream paused explicitly
  });
}
