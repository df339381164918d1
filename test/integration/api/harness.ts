/**
 * Starts the API server on an ephemeral port over a FakeControlPlane, and signs raw requests
 * with the same SigV4 signer the SDK uses.
 */
import type { AddressInfo } from 'node:net';
import { RDSClient } from '@aws-sdk/client-rds';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createApiServer } from '../../../src/api/server.js';
import { staticCredentialStore, type CredentialStore } from '../../../src/api/credentials.js';
import type { IamControl } from '../../../src/iam/iam-control.js';
import type { Clock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';
import { FakeControlPlane } from '../../helpers/fake-control-plane.js';

export const testKey = { accessKeyId: 'AKIATLSQLTEST0000001', secretAccessKey: 'c2VjcmV0LXRlc3Qta2V5LWZvci10bHNxbC1hcGktMDE' };
export const region = 'us-east-1';

export interface ApiHarness {
  url: string;
  port: number;
  control: FakeControlPlane;
  /** JSON log lines written by the server. */
  logs: string[];
  client(opts?: { credentials?: { accessKeyId: string; secretAccessKey: string }; maxAttempts?: number; region?: string }): RDSClient;
  close(): Promise<void>;
}

export async function startApi(
  opts: {
    clock?: Clock;
    maxBodyBytes?: number;
    bundles?: { pem(name: string): string | null };
    credentials?: CredentialStore;
    headersTimeoutMs?: number;
    bodyTimeoutMs?: number;
    maxConcurrentBodies?: number;
    maxConcurrentUnsignedBodies?: number;
    /** A real IAM (e.g. an IamDirectory over an in-memory store) instead of the fake's InvalidAction. */
    iam?: IamControl;
  } = {},
): Promise<ApiHarness> {
  const logs: string[] = [];
  const control = new FakeControlPlane({ region, ...(opts.clock ? { clock: opts.clock } : {}) });
  if (opts.iam) Object.assign(control, { iam: opts.iam });
  const server = createApiServer({
    control,
    credentials: opts.credentials ?? staticCredentialStore([{ ...testKey, principal: 'test-admin' }]),
    region,
    logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.maxBodyBytes !== undefined ? { maxBodyBytes: opts.maxBodyBytes } : {}),
    ...(opts.headersTimeoutMs !== undefined ? { headersTimeoutMs: opts.headersTimeoutMs } : {}),
    ...(opts.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: opts.bodyTimeoutMs } : {}),
    ...(opts.maxConcurrentBodies !== undefined ? { maxConcurrentBodies: opts.maxConcurrentBodies } : {}),
    ...(opts.maxConcurrentUnsignedBodies !== undefined ? { maxConcurrentUnsignedBodies: opts.maxConcurrentUnsignedBodies } : {}),
    ...(opts.bundles ? { bundles: opts.bundles } : {}),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const clients: RDSClient[] = [];
  return {
    url,
    port,
    control,
    logs,
    client: (c = {}) => {
      const client = new RDSClient({
        endpoint: url,
        region: c.region ?? region,
        credentials: c.credentials ?? testKey,
        maxAttempts: c.maxAttempts ?? 1,
      });
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

export interface SignOptions {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  date?: Date;
  region?: string;
  service?: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  query?: Record<string, string>;
}

/** Sends a request signed with SigV4 exactly as the SDK would (POST with a form body by default). */
export async function signedRequest(url: string, body: string, opts: SignOptions = {}): Promise<Response> {
  const u = new URL(url);
  const method = opts.method ?? 'POST';
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname: u.hostname,
    port: Number(u.port),
    path: '/',
    query: opts.query ?? {},
    headers: { host: u.host, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}), ...opts.headers },
    ...(method === 'POST' ? { body } : {}),
  });
  const signer = new SignatureV4({
    service: opts.service ?? 'rds',
    region: opts.region ?? region,
    credentials: opts.credentials ?? testKey,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(request, { signingDate: opts.date ?? new Date() });
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  const qs = new URLSearchParams(opts.query ?? {}).toString();
  return fetch(`${url}/${qs ? `?${qs}` : ''}`, { method, headers, ...(method === 'POST' ? { body } : {}) });
}

/** Signed POST of a form body. */
export function signedPost(url: string, body: string, opts: Omit<SignOptions, 'method'> = {}): Promise<Response> {
  return signedRequest(url, body, opts);
}

/** Pulls `<Code>` and `<Message>` out of an ErrorResponse body. */
export function parseError(xml: string): { code: string | undefined; message: string | undefined; type: string | undefined; requestId: string | undefined } {
  const decode = (t: string) => t.replace(/&(lt|gt|quot|apos|#13|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", '#13': '\r', amp: '&' })[e] ?? '');
  const pick = (tag: string) => {
    const raw = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
    return raw === undefined ? undefined : decode(raw);
  };
  return { code: pick('Code'), message: pick('Message'), type: pick('Type'), requestId: pick('RequestId') };
}
