/**
 * A minimal TLS-terminating MySQL relay in Node, for reference in the foundation benchmark: what
 * Node itself costs per round trip when it decrypts and re-encrypts on both sides, with none of
 * tlsql's work (no PROXY header, no policy, no IAM, no session bookkeeping). It passes the
 * engine's greeting and the client's SSLRequest through, then runs TLS as a server towards the
 * client and as a verifying client towards the engine (loopback TCP), and pipes both ways.
 *
 * Run as a child process: node dist/bench/node-relay.js <listenPort> <enginePort> <chain.pem>
 * <key.pem> <engine CA file> <engine name>; it sends 'up' over IPC once listening.
 *
 * With `--plain <listenPort> <enginePort>` it only pipes bytes both ways (TLS stays end to end
 * between client and engine, like socat): Node's own floor for one extra process in the path.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

/** 4-byte packet header + 32-byte SSLRequest payload. */
const SSL_REQUEST_BYTES = 36;

if (process.argv[2] === '--plain') {
  const [listen, target] = process.argv.slice(3).map(Number) as [number, number];
  net
    .createServer({ noDelay: true }, (client) => {
      const engine = net.connect({ host: '127.0.0.1', port: target, noDelay: true });
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
      client.pipe(engine);
      engine.pipe(client);
    })
    .listen(listen, '127.0.0.1', () => process.send?.('up'));
} else startTlsRelay();

function startTlsRelay(): void {
  const [listenPort, enginePort, chainFile, keyFile, engineCaFile, engineName] = process.argv.slice(2) as [string, string, string, string, string, string];
  const serverCtx = tls.createSecureContext({ cert: readFileSync(chainFile), key: readFileSync(keyFile) });
  const engineCtx = tls.createSecureContext({ ca: readFileSync(engineCaFile) });

  net
    .createServer({ noDelay: true }, (client) => {
      const engine = net.connect({ host: '127.0.0.1', port: Number(enginePort), noDelay: true });
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
      engine.once('data', (greeting: Buffer) => {
        client.write(greeting);
        client.once('data', (first: Buffer) => {
          client.pause();
          engine.write(first.subarray(0, SSL_REQUEST_BYTES));
          if (first.length > SSL_REQUEST_BYTES) client.unshift(first.subarray(SSL_REQUEST_BYTES));
          const front = new tls.TLSSocket(client, { isServer: true, secureContext: serverCtx });
          const back = tls.connect({ socket: engine, secureContext: engineCtx, servername: engineName });
          front.on('error', () => back.destroy());
          back.on('error', () => front.destroy());
          front.pipe(back);
          back.pipe(front);
        });
      });
    })
    .listen(Number(listenPort), '127.0.0.1', () => process.send?.('up'));
}
