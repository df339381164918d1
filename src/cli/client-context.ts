/**
 * Where the CLI sends API requests and how it signs them. The CLI never touches the data plane
 * or the metadata store: every RDS-style command goes through `@aws-sdk/client-rds` to the
 * tlsql server, so the CLI and the API share one implementation.
 *
 * - endpoint: `--endpoint-url`, else $AWS_ENDPOINT_URL_RDS, else http://<api.host>:<api.port>
 *   from the data dir's configuration (default http://127.0.0.1:9336);
 * - region: `--region`, else the configured region;
 * - credentials: the data dir's credentials.json, else $AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY
 *   (and $AWS_SESSION_TOKEN).
 */

import { RDSClient } from '@aws-sdk/client-rds';
import { HttpRequest, HttpResponse } from '@smithy/protocol-http';
import { loadConfig, type Config } from '../config/config.js';
import { readCredentials } from '../config/credentials.js';
import { dataPaths } from '../config/paths.js';
import { isAppError } from '../errors/app-error.js';
import { CliError, ExitCode, UsageError } from './errors.js';
import type { GlobalArgs } from './options.js';

export interface ResolvedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** Where they came from, for `--debug`: a file path or `environment`. */
  source: string;
}

export interface ClientContext {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:9336`. */
  endpoint: string;
  region: string;
  dataDir: string;
  config: Config;
  /** Absent when resolved with `credentials: false`. */
  credentials?: ResolvedCredentials;
}

/** Connection attempts give up after this long, so a dead endpoint fails fast. */
export const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Resolves endpoint, region and (unless `opts.credentials` is false) credentials.
 * Throws CliError exit 253 for an invalid config or missing credentials, UsageError for a bad URL.
 */
export async function resolveClientContext(
  globals: GlobalArgs,
  env: NodeJS.ProcessEnv,
  opts: { credentials?: boolean } = {},
): Promise<ClientContext> {
  let config: Config;
  try {
    config = loadConfig({ dataDir: globals.dataDir, env });
  } catch (e) {
    if (isAppError(e)) throw new CliError(e.message, ExitCode.config, { cause: e });
    throw e;
  }
  const endpoint = normalizeEndpoint(globals.endpointUrl ?? nonEmpty(env.AWS_ENDPOINT_URL_RDS) ?? endpointFromConfig(config));
  const region = globals.region ?? config.region;
  const cc: ClientContext = { endpoint, region, dataDir: globals.dataDir, config };
  if (opts.credentials !== false) cc.credentials = await resolveCredentials(globals.dataDir, env);
  return cc;
}

/** http://<api.host>:<api.port>; a wildcard listen address is reached through loopback. */
export function endpointFromConfig(config: Config): string {
  let host = config.api.host;
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '::1';
  if (host.includes(':') && !host.startsWith('[')) host = `[${host}]`;
  return `http://${host}:${config.api.port}`;
}

function normalizeEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`Bad value for --endpoint-url "${raw}": scheme is missing. Must be of the form http://<hostname>/ or https://<hostname>/`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`Bad value for --endpoint-url "${raw}": must be of the form http://<hostname>/ or https://<hostname>/`);
  }
  return raw.replace(/\/+$/, '');
}

/**
 * The data dir's credentials.json, else the environment. When neither is usable the error
 * explains the data dir problem (run `tlsql init`, or run as the data dir's owner).
 */
export async function resolveCredentials(dataDir: string, env: NodeJS.ProcessEnv): Promise<ResolvedCredentials> {
  const path = dataPaths(dataDir).credentials;
  try {
    const c = await readCredentials(path);
    return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, source: path };
  } catch (e) {
    const id = nonEmpty(env.AWS_ACCESS_KEY_ID);
    const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
    if (id && secret) {
      const token = nonEmpty(env.AWS_SESSION_TOKEN);
      return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}), source: 'environment' };
    }
    const why = e instanceof Error ? e.message : String(e);
    throw new CliError(`${why} (or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)`, ExitCode.config, { cause: e });
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : v;
}

/**
 * An RDS client for the tlsql API. With `debug`, every HTTP attempt is logged (method, URL,
 * headers and form body with the signature and password-like values redacted, then the status).
 */
export function createRdsClient(cc: ClientContext, opts: { debug?: (line: string) => void } = {}): RDSClient {
  if (!cc.credentials) throw new Error('createRdsClient needs resolved credentials');
  // The SDK warns on every run under Node 20; a CLI must keep stderr for its own messages.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { accessKeyId, secretAccessKey, sessionToken } = cc.credentials;
  const client = new RDSClient({
    endpoint: cc.endpoint,
    region: cc.region,
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
    maxAttempts: 3,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS },
    customUserAgent: 'tlsql-cli',
  });
  const debug = opts.debug;
  if (debug) {
    client.middlewareStack.add(
      (next) => async (args) => {
        if (HttpRequest.isInstance(args.request)) {
          const r = args.request;
          const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${redactHeader(k, v)}`);
          debug(`HTTP ${r.method} ${r.protocol}//${r.hostname}${r.port ? `:${r.port}` : ''}${r.path}\n  ${headers.join('\n  ')}\n  body: ${redactBody(String(r.body ?? ''))}`);
        }
        const result = await next(args);
        if (HttpResponse.isInstance(result.response)) {
          debug(`HTTP ${result.response.statusCode} (request id ${result.response.headers['x-amzn-requestid'] ?? 'none'})`);
        }
        return result;
      },
      { step: 'deserialize', priority: 'low', name: 'tlsqlDebugWireLog' },
    );
  }
  return client;
}

function redactHeader(name: string, value: string): string {
  if (name.toLowerCase() === 'authorization') return value.replace(/Signature=[0-9a-f]+/i, 'Signature=[redacted]');
  if (name.toLowerCase() === 'x-amz-security-token') return '[redacted]';
  return value;
}

/** Form bodies carry passwords (MasterUserPassword); never print them, even with --debug. */
export function redactBody(body: string): string {
  return body.replace(/((?:^|&)[^=&]*(?:Password|Secret|Token)[^=&]*=)[^&]*/gi, '$1[redacted]');
}
