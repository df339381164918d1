/**
 * Micro benchmark of the native data plane (native/README.md): one client doing sequential round
 * trips of ~100 bytes over verified TLS,
 *   (a) directly to a Node TLS echo server (loopback TCP), and
 *   (b) through the native relay (TLS terminated and re-originated, as the front door does) to a
 *       TLS echo server on a unix socket (the engine's stand-in), with busy polling off and on.
 * Reports µs per round trip (median of the run) and CPU µs per round trip of the process that
 * hosts the data plane (all its threads), the echo server and the client.
 *
 * Run: npm run build && node dist/bench/native-relay.js [roundTrips=20000] [bytes=100]
 * The echo servers and the client run in child processes (the same file, other roles), so the
 * data plane's process does nothing else.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { NativeDataplane } from '../src/dataplane/native/native-dataplane.js';
import type { NativeSession } from '../src/dataplane/native/native-session.js';
import { cpuMs, machine, median } from './lib.js';

const PREAMBLE = Buffer.from('SSLR');
const FRONT_NAME = 'db.bench.test';
const ENGINE_NAME = 'engine.bench.test';
const CIPHERS = 'TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256';

interface Material {
  frontCaPem: string;
  front: { certPem: string; keyPem: string };
  engineCaPem: string;
  engine: { certPem: string; keyPem: string };
}

/** A P-256 CA and one server certificate for `name`, made with the openssl command line. */
function issue(dir: string, tag: string, name: string): { caPem: string; certPem: string; keyPem: string } {
  const f = (s: string) => join(dir, `${tag}-${s}`);
  const q = { stdio: 'ignore' as const };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-subj', `/CN=${tag} bench CA`, '-days', '2', '-addext', 'basicConstraints=critical,CA:TRUE'], q);
  execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${name}`], q);
  writeFileSync(f('leaf.ext'), `subjectAltName=DNS:${name}\nextendedKeyUsage=serverAuth\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('leaf.pem'), '-days', '1', '-extfile', f('leaf.ext')], q);
  return { caPem: readFileSync(f('ca.pem'), 'utf8'), certPem: readFileSync(f('leaf.pem'), 'utf8'), keyPem: readFileSync(f('leaf.key'), 'utf8') };
}

/** Child role: TLS echo servers, on loopback TCP (direct) and on a unix socket after the preamble (engine). */
function echoRole(material: Material, unixPath: string): void {
  const engineCtx = tls.createSecureContext({ cert: material.engine.certPem, key: material.engine.keyPem });
  const direct = tls.createServer({ cert: material.front.certPem, key: material.front.keyPem }, (s) => {
    s.setNoDelay(true);
    s.pipe(s);
    s.on('error', () => {});
  });
  const engine = net.createServer((socket) => {
    socket.on('error', () => {});
    const onReadable = () => {
      if (!socket.read(4)) return;
      socket.off('readable', onReadable);
      const t = new tls.TLSSocket(socket, { isServer: true, secureContext: engineCtx });
      t.on('error', () => {});
      t.pipe(t);
    };
    socket.on('readable', onReadable);
  });
  direct.listen(0, '127.0.0.1', () => engine.listen(unixPath, () => process.send!({ port: (direct.address() as net.AddressInfo).port })));
}

/** Child role: sequential round trips; reports each one's duration (µs). */
async function clientRole(material: Material, port: number, preamble: boolean, roundTrips: number, bytes: number): Promise<void> {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise((r) => sock.once('connect', r));
  if (preamble) sock.write(PREAMBLE);
  const c = tls.connect({ socket: sock, servername: FRONT_NAME, ca: material.frontCaPem });
  await new Promise<void>((resolve, reject) => {
    c.once('secureConnect', resolve);
    c.once('error', reject);
  });
  if (!c.authorized) throw new Error(`not authorized: ${c.authorizationError}`);
  const payload = Buffer.alloc(bytes, 0x61);
  const times: number[] = [];
  let pending = 0;
  let resolveRt: () => void = () => {};
  c.on('data', (d: Buffer) => {
    pending -= d.length;
    if (pending <= 0) resolveRt();
  });
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < roundTrips; i++) {
    if (process.env.BENCH_DEBUG && i % 1000 === 0) process.stderr.write(`rt ${i}\n`);
    const t0 = performance.now();
    pending = bytes;
    await new Promise<void>((r) => {
      resolveRt = r;
      c.write(payload);
    });
    times.push((performance.now() - t0) * 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  c.destroy();
  // Exits once the message is out (a large IPC message is written asynchronously).
  process.send!({ medianUs: median(times), clientCpuUs: cpu.user + cpu.system }, () => process.exit(0));
}

/** Child role: `count` connections through the relay, one round trip each, then idle until killed. */
async function idleClientsRole(material: Material, port: number, count: number): Promise<void> {
  const held: tls.TLSSocket[] = [];
  for (let i = 0; i < count; i++) {
    const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
    await new Promise((r) => sock.once('connect', r));
    sock.write(PREAMBLE);
    const c = tls.connect({ socket: sock, servername: FRONT_NAME, ca: material.frontCaPem });
    await new Promise<void>((resolve, reject) => {
      c.once('secureConnect', resolve);
      c.once('error', reject);
    });
    c.write('x');
    await new Promise((r) => c.once('data', r));
    held.push(c);
  }
  process.send!('idle');
}

/** CPU time (ms) of this process's I/O loop threads (named tlsql-io-N by the data plane). */
function loopThreadsCpuMs(): number {
  let ms = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      if (!readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').startsWith('tlsql-io-')) continue;
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ms += ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    } catch {
      // The thread ended between the listing and the read: it has no more CPU to count.
    }
  }
  return ms;
}

/** Resident memory of this process, bytes. */
function rssBytes(): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]!;
  return Number(kb) * 1024;
}

async function run(child: ChildProcess): Promise<{ medianUs: number; clientCpuUs: number }> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { medianUs: number; clientCpuUs: number }));
    child.once('exit', (code) => code && reject(new Error(`client exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const roundTrips = Number(process.argv[2] ?? 20000);
  const bytes = Number(process.argv[3] ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-native-bench-'));
  const front = issue(dir, 'front', FRONT_NAME);
  const engine = issue(dir, 'engine', ENGINE_NAME);
  const material: Material = { frontCaPem: front.caPem, front, engineCaPem: engine.caPem, engine };
  writeFileSync(join(dir, 'material.json'), JSON.stringify(material));
  const self = fileURLToPath(import.meta.url);
  const unixPath = join(dir, 'engine.sock');
  const echo = fork(self, ['echo', join(dir, 'material.json'), unixPath], { stdio: 'inherit' });
  // The echo server goes with this process, whatever happens.
  process.on('exit', () => echo.kill());
  const { port: directPort } = await new Promise<{ port: number }>((r) => echo.once('message', (m) => r(m as { port: number })));

  const dp = new NativeDataplane({ loops: 1 });
  const sctx = dp.serverContext({ certChainPem: front.certPem, keyPem: front.keyPem, ciphers: CIPHERS, sessionIdContext: 'bench' });
  const lctx = dp.clientContext({ caPem: engine.caPem, servername: ENGINE_NAME, ciphers: CIPHERS, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' });
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    const s: NativeSession = dp.openSession(socket, unixPath);
    void (async () => {
      const pre = await new Promise<Buffer>((resolve) => {
        const onReadable = () => {
          const b = s.client.read(4) as Buffer | null;
          if (b) {
            s.client.off('readable', onReadable);
            resolve(b);
          }
        };
        s.client.on('readable', onReadable);
      });
      if (!pre.equals(PREAMBLE)) throw new Error('bad preamble');
      await s.startServerTls(sctx);
      await s.engineConnected;
      s.engine.write(PREAMBLE);
      await s.startClientTls(lctx);
      s.relay();
    })().catch((e) => {
      console.error('front door session failed', e);
      s.close();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const relayPort = (server.address() as net.AddressInfo).port;

  const rows: string[] = [];
  const measure = async (label: string, port: number, preamble: boolean, busyPollMicros: number | null) => {
    if (busyPollMicros !== null) dp.setBusyPollMicros(busyPollMicros);
    const client = fork(self, ['client', join(dir, 'material.json'), String(port), preamble ? '1' : '0', String(roundTrips), String(bytes)], { stdio: 'inherit' });
    const self0 = process.cpuUsage();
    const loops0 = loopThreadsCpuMs();
    const echo0 = cpuMs(echo.pid!);
    const r = await run(client);
    const selfCpu = process.cpuUsage(self0);
    const loopsUs = ((loopThreadsCpuMs() - loops0) * 1000) / roundTrips;
    const echoCpuUs = (cpuMs(echo.pid!) - echo0) * 1000;
    const hostUs = busyPollMicros === null ? null : (selfCpu.user + selfCpu.system) / roundTrips;
    rows.push(
      `| ${label} | ${r.medianUs.toFixed(1)} | ${hostUs === null ? '-' : `${hostUs.toFixed(1)} (loop thread ${loopsUs.toFixed(1)})`} | ${(echoCpuUs / roundTrips).toFixed(1)} | ${(r.clientCpuUs / roundTrips).toFixed(1)} |`,
    );
  };
  // Warm-up (JIT, first handshakes), not reported.
  const warm = rows.length;
  await measure('warm-up direct', directPort, false, null);
  await measure('warm-up relay', relayPort, true, 0);
  rows.splice(warm);
  await measure('(a) direct Node TLS echo server', directPort, false, null);
  await measure('(b) native relay -> unix-socket TLS echo, busyPollMicros 0', relayPort, true, 0);
  await measure('(b) native relay -> unix-socket TLS echo, busyPollMicros 200', relayPort, true, 200);
  await measure('(a) direct Node TLS echo server (again)', directPort, false, null);

  console.log(`\nnative relay micro benchmark, ${new Date().toISOString().slice(0, 10)}, ${machine()}`);
  console.log(`${roundTrips} sequential round trips of ${bytes} bytes, one client, verified TLS 1.3 (AES-256-GCM) on every hop\n`);
  console.log('| path | µs / round trip (median) | data plane process CPU µs / round trip (of which the I/O loop thread; 10 ms ticks) | echo server CPU µs / rt | client CPU µs / rt |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  // Memory per idle relayed session: both sockets, both TLS objects, after one round trip each.
  const idleCount = 500;
  global.gc?.();
  const rss0 = rssBytes();
  const idle = fork(self, ['idle', join(dir, 'material.json'), String(relayPort), String(idleCount)], { stdio: 'inherit' });
  await new Promise((r) => idle.once('message', r));
  global.gc?.();
  const perSession = (rssBytes() - rss0) / idleCount;
  console.log(`\nmemory per idle relayed session (data plane process RSS growth / ${idleCount}): ${(perSession / 1024).toFixed(1)} KiB`);
  idle.kill();
  console.log('\n', JSON.stringify(dp.stats().loops));
  dp.shutdown();
  server.close();
  echo.kill();
  rmSync(dir, { recursive: true, force: true });
}

const role = process.argv[2];
if (role === 'idle') void idleClientsRole(JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as Material, Number(process.argv[4]), Number(process.argv[5]));
else if (role === 'echo') echoRole(JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as Material, process.argv[4]!);
else if (role === 'client') {
  const [materialFile, port, preamble, roundTrips, bytes] = process.argv.slice(3) as [string, string, string, string, string];
  await clientRole(JSON.parse(readFileSync(materialFile, 'utf8')) as Material, Number(port), preamble === '1', Number(roundTrips), Number(bytes));
} else await main();
