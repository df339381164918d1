/**
 * The RDS-compatible HTTP API: the awsQuery protocol on `POST /` (SigV4-signed), plus
 * unauthenticated conveniences: `GET /bundles/<file>` (public CA bundles), `GET /crl/<file>` (client
 * CA revocation lists, docs/revocation.md), `GET /health` and
 * `GET /metrics` (Prometheus; the API listens on loopback by default).
 *
 * Request flow for the API: size check -> SigV4 -> Action/Version -> action -> XML. Every
 * response carries `x-amzn-RequestId`, and a `Date` header from the injected clock, which the
 * AWS SDKs use to correct their clock skew exactly as they do against AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AppError, isAppError } from '../errors/app-error.js';
import type { ControlPlane } from '../control/control-plane.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import { actions } from './actions/index.js';
import { declaredTooLarge, defaultMaxBodyBytes, readBody, RequestAborted } from './body.js';
import type { CredentialStore } from './credentials.js';
import { faultXml, rdsXmlNamespace, toFault } from './fault.js';
import { parseQueryString, QueryReader } from './query.js';
import { parseAuthorization, verifySigV4, type Caller } from './sigv4.js';
import { XmlWriter } from './xml.js';

/** The only RDS API version there is (and the one every SDK sends). */
export const rdsApiVersion = '2014-10-31';

/** Dependencies and limits of the API server; defaults are given per field. */
export interface ApiServerOptions {
  control: ControlPlane;
  credentials: CredentialStore;
  /** The region requests must be signed for (credential scope), e.g. `us-east-1`. */
  region: string;
  logger: Logger;
  /** Time source for signature expiry and the Date header. Default: the system clock. */
  clock?: Clock;
  /** Largest accepted request body. Default 1 MiB; larger requests get 413. */
  maxBodyBytes?: number;
  /** Public CA bundles served at `/bundles/<name>`; `pem` returns null for unknown names. Default: none (404). */
  bundles?: { pem(name: string): string | null };
  /**
   * Client CA CRLs served at `/crl/<name>` (`.crl` DER, `.pem` PEM); `get` resolves null for unknown
   * names. Unauthenticated like the bundles: relying parties fetch CRLs without credentials. Default: none (404).
   */
  crls?: { get(name: string): Promise<{ body: Buffer | string; contentType: string } | null> };
  /** Prometheus text exposition served at `GET /metrics`. Default: none (404). */
  metrics?: () => string;
}

const bundleName = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

interface RequestState {
  requestId: string;
  started: number;
  action?: string;
  caller?: Caller;
  /** The access key id the request claims, logged for refused requests (not secret). */
  claimedAccessKeyId?: string;
  /** Set when the connection must not be reused (unread request body). */
  closeConnection?: boolean;
}

/**
 * Creates (does not start) the API server. Call `listen()` on the result; `close()` it to stop.
 */
export function createApiServer(opts: ApiServerOptions): Server {
  const clock = opts.clock ?? systemClock;
  const maxBodyBytes = opts.maxBodyBytes ?? defaultMaxBodyBytes;
  const logger = opts.logger.child({ component: 'api' });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const state: RequestState = { requestId: randomUUID(), started: performance.now() };
    res.setHeader('x-amzn-RequestId', state.requestId);
    res.setHeader('Date', clock.now().toUTCString());
    route(req, res, state).catch((e: unknown) => {
      // route() answers every error itself; this is a last resort for bugs in that path.
      logger.error('unhandled API error', { requestId: state.requestId, err: e });
      if (!res.headersSent) sendText(req, res, 500, 'internal error\n');
      else res.destroy();
    });
  };

  const route = async (req: IncomingMessage, res: ServerResponse, state: RequestState): Promise<void> => {
    // Prefixing (rather than resolving against a base) keeps `//x` and absolute-form targets as
    // paths, so they 404 instead of being read as another host.
    const target = req.url ?? '/';
    const url = new URL(`http://tlsql.invalid${target.startsWith('/') ? '' : '/'}${target}`);
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';

    if (url.pathname === '/health' && readOnly) {
      sendText(req, res, 200, 'ok');
      return;
    }
    if (url.pathname === '/metrics' && readOnly && opts.metrics) {
      sendBody(req, res, 200, 'text/plain; version=0.0.4; charset=utf-8', opts.metrics());
      return;
    }
    if (url.pathname.startsWith('/bundles/') && readOnly) {
      serveBundle(req, res, url.pathname.slice('/bundles/'.length), state);
      return;
    }
    if (url.pathname.startsWith('/crl/') && readOnly) {
      await serveCrl(req, res, url.pathname.slice('/crl/'.length), state);
      return;
    }
    if (url.pathname !== '/') {
      sendText(req, res, 404, 'Not Found\n');
      return;
    }
    if (method !== 'POST' && method !== 'GET') {
      res.setHeader('Allow', 'GET, POST');
      sendText(req, res, 405, 'Method Not Allowed\n');
      return;
    }

    try {
      await handleQuery(req, res, url, state);
    } catch (e) {
      sendFault(req, res, e, state);
    }
  };

  const serveBundle = (req: IncomingMessage, res: ServerResponse, rawName: string, state: RequestState): void => {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      // A malformed percent-escape cannot name a bundle.
      sendText(req, res, 404, 'Not Found\n');
      return;
    }
    let pem: string | null = null;
    if (bundleName.test(name) && opts.bundles) {
      try {
        pem = opts.bundles.pem(name);
      } catch (e) {
        logger.error('reading CA bundle failed', { requestId: state.requestId, bundle: name, err: e });
        sendText(req, res, 500, `An internal error has occurred. Request id ${state.requestId}.\n`);
        return;
      }
    }
    if (pem === null) {
      sendText(req, res, 404, 'Not Found\n');
      return;
    }
    sendBody(req, res, 200, 'application/x-pem-file', pem);
  };

  const serveCrl = async (req: IncomingMessage, res: ServerResponse, name: string, state: RequestState): Promise<void> => {
    let crl: { body: Buffer | string; contentType: string } | null = null;
    if (bundleName.test(name) && opts.crls) {
      try {
        crl = await opts.crls.get(name);
      } catch (e) {
        logger.error('signing or reading a client CRL failed', { requestId: state.requestId, crl: name, err: e });
        sendText(req, res, 500, `An internal error has occurred. Request id ${state.requestId}.\n`);
        return;
      }
    }
    if (crl === null) {
      sendText(req, res, 404, 'Not Found\n');
      return;
    }
    sendBody(req, res, 200, crl.contentType, crl.body);
  };

  const handleQuery = async (req: IncomingMessage, res: ServerResponse, url: URL, state: RequestState): Promise<void> => {
    // Cheap refusals first, before reading a body that may be large or never arrive.
    if (declaredTooLarge(req, maxBodyBytes)) {
      state.closeConnection = true;
      throw new AppError('RequestEntityTooLarge', `Request body exceeds the limit of ${maxBodyBytes} bytes.`);
    }
    const authorization = req.headers['authorization'];
    if (authorization === undefined || authorization.trim() === '') {
      throw new AppError('MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    state.claimedAccessKeyId = parseAuthorization(authorization).accessKeyId.slice(0, 128);

    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (e) {
      if (isAppError(e) && e.code === 'RequestEntityTooLarge') state.closeConnection = true;
      throw e;
    }

    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    state.caller = await verifySigV4(
      { method: req.method ?? 'POST', path: url.pathname, query, headers: req.headers, body },
      { credentials: opts.credentials, region: opts.region, service: 'rds', clock },
    );

    const tree = parseQueryString(url.search.slice(1));
    parseQueryString(body.toString('utf8'), tree);
    const params = new QueryReader(tree);

    const actionName = params.string('Action');
    if (actionName === undefined || actionName === '') {
      throw new AppError('MissingAction', 'The request must contain the parameter Action');
    }
    state.action = actionName.slice(0, 100);
    const action = actions.get(actionName);
    if (!action) {
      throw new AppError('InvalidAction', `The action ${state.action} is not valid for this web service.`);
    }
    const version = params.string('Version');
    if (version !== rdsApiVersion) {
      // What AWS query services answer for a missing or unknown Version.
      throw new AppError('InvalidAction', `Could not find operation ${action.name} for version ${(version || 'NO_VERSION_SPECIFIED').slice(0, 40)}`);
    }

    const result = await action.run({
      control: opts.control,
      params,
      requestId: state.requestId,
      principal: state.caller.principal,
      logger: logger.child({ requestId: state.requestId, action: action.name }),
    });

    const w = new XmlWriter();
    w.open(`${action.name}Response`, { xmlns: rdsXmlNamespace });
    if (result) {
      w.open(`${action.name}Result`);
      result(w);
      w.close();
    }
    w.element('ResponseMetadata', (m) => m.leaf('RequestId', state.requestId));
    w.close();
    sendBody(req, res, 200, 'text/xml', w.toString());
    logRequest(state, 200);
  };

  const sendFault = (req: IncomingMessage, res: ServerResponse, e: unknown, state: RequestState): void => {
    if (e instanceof RequestAborted || res.destroyed) {
      logger.info('client went away', { requestId: state.requestId, action: state.action });
      return;
    }
    const fault = toFault(e, state.requestId);
    if (fault.internal) {
      logger.error('internal failure', {
        requestId: state.requestId,
        action: state.action,
        err: e,
        cause: e instanceof Error ? e.cause : undefined,
        stack: e instanceof Error ? e.stack : undefined,
      });
    }
    if (state.closeConnection) {
      // The rest of the body is unread: the connection cannot carry another request.
      res.setHeader('Connection', 'close');
    }
    sendBody(req, res, fault.status, 'text/xml', faultXml(fault, state.requestId));
    logRequest(state, fault.status, fault.code);
  };

  const logRequest = (state: RequestState, status: number, code?: string): void => {
    const fields = {
      requestId: state.requestId,
      action: state.action,
      status,
      code,
      principal: state.caller?.principal,
      accessKeyId: state.caller?.accessKeyId ?? state.claimedAccessKeyId,
      durationMs: Math.round((performance.now() - state.started) * 10) / 10,
    };
    if (status >= 500) logger.warn('api request failed', fields);
    else if (status === 403) logger.warn('api request refused', fields);
    else logger.info('api request', fields);
  };

  const server = createServer(handle);
  // Answer `Expect: 100-continue` with 413 before the client sends an oversize body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!declaredTooLarge(req, maxBodyBytes)) res.writeContinue();
    handle(req, res);
  });
  return server;
}

function sendBody(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function sendText(req: IncomingMessage, res: ServerResponse, status: number, text: string): void {
  sendBody(req, res, status, 'text/plain; charset=utf-8', text);
}
