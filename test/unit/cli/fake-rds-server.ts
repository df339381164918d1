/**
 * A tiny HTTP server answering the RDS Query API with canned XML, for testing the CLI's SDK
 * wiring (signing, form encoding, paging, error mapping) without the real tlsql server.
 */

import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli, type RunOptions } from '../../../src/cli/run.js';
import { CommandRegistry } from '../../../src/cli/registry.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The form body, decoded. */
  params: URLSearchParams;
  action: string;
}

export interface CannedResponse {
  status?: number;
  body: string;
  contentType?: string;
}

export interface FakeRds {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startFakeRds(handler: (req: RecordedRequest) => CannedResponse): Promise<FakeRds> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const params = new URLSearchParams(body);
      const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, params, action: params.get('Action') ?? '' };
      requests.push(rec);
      let r: CannedResponse;
      try {
        r = handler(rec);
      } catch (e) {
        r = { status: 500, body: String(e) };
      }
      res.writeHead(r.status ?? 200, { 'content-type': r.contentType ?? 'text/xml', 'x-amzn-requestid': `req-${requests.length}` });
      res.end(r.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const NS = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** A success response `<{action}Response><{action}Result>inner</...>`. */
export function xmlOk(action: string, inner = ''): CannedResponse {
  return {
    body: `<${action}Response xmlns="${NS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>11111111-2222-3333-4444-555555555555</RequestId></ResponseMetadata></${action}Response>`,
  };
}

/** An RDS error response. */
export function xmlError(code: string, message: string, status = 400): CannedResponse {
  return {
    status,
    body: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`,
  };
}

/** A `<DBInstance>` element with a few fields. */
export function dbInstanceXml(id: string, status = 'available', extra = ''): string {
  return (
    `<DBInstanceIdentifier>${id}</DBInstanceIdentifier><DBInstanceClass>db.t3.micro</DBInstanceClass><Engine>mariadb</Engine>` +
    `<DBInstanceStatus>${status}</DBInstanceStatus><MasterUsername>admin</MasterUsername>` +
    `<Endpoint><Address>${id}.abcdefghijkl.us-east-1.tlsql.localhost</Address><Port>3306</Port><HostedZoneId>Z2R2ITUGPM61AM</HostedZoneId></Endpoint>` +
    `<InstanceCreateTime>2026-11-24T10:00:00.123Z</InstanceCreateTime>${extra}`
  );
}

export const TEST_ACCESS_KEY_ID = 'AKIATESTTESTTESTTEST';

/** A data dir with credentials.json and (optionally) config.json pointing the API at `apiPort`. */
export async function makeDataDir(opts: { apiPort?: number; credentials?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tlsql-cli-test-'));
  if (opts.credentials !== false) {
    await writeFile(join(dir, 'credentials.json'), JSON.stringify({ accessKeyId: TEST_ACCESS_KEY_ID, secretAccessKey: 'test-secret-key' }));
  }
  if (opts.apiPort !== undefined) await writeFile(join(dir, 'config.json'), JSON.stringify({ api: { port: opts.apiPort } }));
  return dir;
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with captured streams, a fresh registry and a clean environment. */
export async function cli(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; isTTY?: boolean; run?: RunOptions } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const code = await runCli(
    argv,
    { stdout, stderr, stdin: new PassThrough(), env: opts.env ?? {}, isTTY: opts.isTTY ?? false },
    { registry: new CommandRegistry(), ...opts.run },
  );
  await new Promise((r) => setImmediate(r));
  return { code, stdout: out, stderr: err };
}

/** A clock whose sleep advances time instantly, for waiter tests. */
export function fakeClock(start = Date.UTC(2026, 10, 24, 10)): { now(): number; sleep(ms: number): Promise<void>; slept: number[] } {
  let t = start;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    slept,
  };
}
