/**
 * The RDS-compatible HTTP API: the awsQuery protocol on `POST /` (SigV4-signed), plus
 * unauthenticated conveniences: `GET /bundles/<file>` (public CA bundles), `GET /crl/<file>` (client
 * CA revocation lists, docs/revocation.md), `GET /health` and
 * `GET /metrics` (Prometheus; the API listens on loopback by default).
 *
 * Request flow for the API: size check -> access key known and active -> body (bounded in size,
 * time and concurrency) -> SigV4 -> Action/Version -> action -> XML. Headers and bodies that
 * arrive too slowly are cut off within seconds (headersTimeoutMs, bodyTimeoutMs). Every
 * response carries `x-amzn-RequestId`, and a `Date` header from the injected clock, which the
 * AWS SDKs use to correct their clock skew exactly as they do against AWS.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { AppError } from '../errors/app-error.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { CallerSession } from '../iam/iam-control.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Action } from './actions/action.js';
import { declaredTooLarge, defaultBodyTimeoutMs, defaultMaxBodyBytes, readBody, RequestAborted } from './body.js';
import type { CredentialStore } from './credentials.js';
import { dispatchAction, rdsApiVersion } from './dispatch.js';
import { faultXml, toFault } from './fault.js';
import { parseQueryString, QueryReader } from './query.js';
import { parseAuthorization, verifySigV4, type Caller } from './sigv4.js';
import { isUnsignedStsRequest, maxUnsignedStsBodyBytes, mayBeUnsignedSts, runStsAction, stsCredentials, stsXmlNamespace } from './sts.js';

export { rdsApiVersion };

/**
 * A handler for everything under `/console` (the web console, src/console/), which authenticates
 * with its own session instead of SigV4. It answers every request it is given, errors included.
 */
export interface ConsoleRoute {
  handle(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void>;
}

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
  /** A request's headers must all arrive within this. Default 10 s; then 408 and the connection closes. */
  headersTimeoutMs?: number;
  /** A request's body must all arrive within this once its headers are in. Default 10 s; then RequestTimeout (408). */
  bodyTimeoutMs?: number;
  /**
   * Request bodies read at once, at most (each up to maxBodyBytes): more get Throttling (400, what
   * RDS answers when it is asked too much; the SDKs retry it with backoff). Default 32.
   */
  maxConcurrentBodies?: number;
  /**
   * Unsigned request bodies (STS's AssumeRoleWithWebIdentity, at most 32 KiB each) read at once, at
   * most, in a pool of their own: more get Throttling. Default 4.
   */
  maxConcurrentUnsignedBodies?: number;
  /** Public CA bundles served at `/bundles/<name>`; `pem` returns null for unknown names. Default: none (404). */
  bundles?: { pem(name: string): string | null };
  /**
   * Client CA CRLs served at `/crl/<name>` (`.crl` DER, `.pem` PEM); `get` resolves null for unknown
   * names. Unauthenticated like the bundles: relying parties fetch CRLs without credentials. Default: none (404).
   */
  crls?: { get(name: string): Promise<{ body: Buffer | string; contentType: string } | null> };
  /** Prometheus text exposition served at `GET /metrics`. Default: none (404). */
  metrics?: () => string;
  /** The web console under `/console` (docs/console.md). Default: none (404). */
  console?: ConsoleRoute;
  /** Actions served beside the registry of `actions/index.ts`, e.g. the console's login link. Default: none. */
  extraActions?: readonly Action[];
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
  /** The client sent `Expect: 100-continue` and waits for 100 before its body. */
  expectsContinue?: boolean;
  /** An STS request (SigV4 service `sts`, or the unsigned AssumeRoleWithWebIdentity): STS's XML namespace on faults. */
  sts?: boolean;
}

/** Default bound on receiving a request's headers: 10 s. */
export const defaultHeadersTimeoutMs = 10_000;
/** Default number of request bodies read at once: 32 (32 MiB at most with the default body limit). */
export const defaultMaxConcurrentBodies = 32;
/** Default number of unsigned request bodies read at once (see maxConcurrentUnsignedBodies). */
export const defaultMaxConcurrentUnsignedBodies = 4;

/**
 * Creates (does not start) the API server. Call `listen()` on the result; `close()` it to stop.
 */
export function createApiServer(opts: ApiServerOptions): Server {
  const clock = opts.clock ?? systemClock;
  const maxBodyBytes = opts.maxBodyBytes ?? defaultMaxBodyBytes;
  const headersTimeoutMs = opts.headersTimeoutMs ?? defaultHeadersTimeoutMs;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? defaultBodyTimeoutMs;
  const maxConcurrentBodies = opts.maxConcurrentBodies ?? defaultMaxConcurrentBodies;
  const logger = opts.logger.child({ component: 'api' });
  /** Bodies being read now (see maxConcurrentBodies). */
  let bodiesInProgress = 0;
  /** Unsigned bodies (AssumeRoleWithWebIdentity) being read now, in their own pool. */
  let unsignedBodiesInProgress = 0;
  const maxConcurrentUnsignedBodies = opts.maxConcurrentUnsignedBodies ?? defaultMaxConcurrentUnsignedBodies;
  const extraActions = new Map((opts.extraActions ?? []).map((a) => [a.name, a]));

  const handle = (req: IncomingMessage, res: ServerResponse, expectsContinue = false): void => {
    const state: RequestState = { requestId: randomUUID(), started: performance.now(), expectsContinue };
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
    if (opts.console && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
      await opts.console.handle(req, res, url, state.requestId);
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
    // Cheap refusals first, before reading a body that may be large or never arrive. Until the
    // body is read, a refusal closes the connection rather than let Node drain the body to reuse it.
    state.closeConnection = true;
    if (declaredTooLarge(req, maxBodyBytes)) {
      throw new AppError('RequestEntityTooLarge', `Request body exceeds the limit of ${maxBodyBytes} bytes.`);
    }
    const authorization = req.headers['authorization'];
    const signed = authorization !== undefined && authorization.trim() !== '';
    let credentials: CredentialStore | undefined;
    let stsSession: (() => CallerSession | null) | undefined;
    if (signed) {
      const parsed = parseAuthorization(authorization);
      const claimed = parsed.accessKeyId;
      state.claimedAccessKeyId = claimed.slice(0, 128);
      // STS shares the endpoint: the credential scope's service tells the APIs apart.
      state.sts = parsed.scopeService === 'sts';
      const tokenHeader = req.headers['x-amz-security-token'];
      const sts = state.sts ? stsCredentials(opts.control.iam, typeof tokenHeader === 'string' ? tokenHeader : undefined) : undefined;
      stsSession = sts?.session;
      const store = sts ?? opts.credentials;
      // The key is checked before a byte of body is read: naming no usable key costs the headers
      // only (for a temporary key, its session token is opened too). The key id is not a secret,
      // so the signature is still checked over the whole body.
      const key = await store.lookup(claimed);
      if (!key || !key.active) {
        throw new AppError('InvalidClientTokenId', 'The security token included in the request is invalid.');
      }
      // The key looked up here, not a second lookup that could see it disabled in between.
      credentials = { ...store, lookup: async (id) => (id === claimed ? key : store.lookup(id)) };
    } else if (!mayBeUnsignedSts(req)) {
      // Only STS's AssumeRoleWithWebIdentity may come unsigned, as a small form (see sts.ts).
      throw new AppError('MissingAuthenticationToken', 'Request is missing Authentication Token');
    }
    // Unsigned bodies (anyone may send them) have a small pool of their own, so that they cannot
    // crowd out requests signed with a known key.
    const unsigned = credentials === undefined;
    const pool = unsigned ? maxConcurrentUnsignedBodies : maxConcurrentBodies;
    if ((unsigned ? unsignedBodiesInProgress : bodiesInProgress) >= pool) {
      throw new AppError('Throttling', `Rate exceeded: more than ${pool} ${unsigned ? 'unsigned ' : ''}requests are sending their bodies at once; retry with backoff.`);
    }

    let body: Buffer;
    if (unsigned) unsignedBodiesInProgress++;
    else bodiesInProgress++;
    try {
      // Asked for only now that the request may send its body (see the checkContinue handler).
      if (state.expectsContinue) res.writeContinue();
      body = await readBody(req, unsigned ? maxUnsignedStsBodyBytes : maxBodyBytes, bodyTimeoutMs);
      state.closeConnection = false;
    } finally {
      if (unsigned) unsignedBodiesInProgress--;
      else bodiesInProgress--;
    }

    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const tree = parseQueryString(url.search.slice(1));
    parseQueryString(body.toString('utf8'), tree);
    const params = new QueryReader(tree);
    if (!credentials) {
      // STS's AssumeRoleWithWebIdentity is the one unsigned call: its JWT is the credential.
      if (!isUnsignedStsRequest(params)) throw new AppError('MissingAuthenticationToken', 'Request is missing Authentication Token');
      state.sts = true;
    } else {
      state.caller = await verifySigV4(
        { method: req.method ?? 'POST', path: url.pathname, query, headers: req.headers, body },
        { credentials, region: opts.region, service: state.sts ? 'sts' : 'rds', clock },
      );
    }
    if (state.sts) {
      state.action = params.string('Action')?.slice(0, 100);
      const sts = await runStsAction({ control: opts.control, params, principal: state.caller?.principal ?? null, session: stsSession?.() ?? null, requestId: state.requestId, logger: logger.child({ requestId: state.requestId, action: state.action }) });
      sendBody(req, res, 200, 'text/xml', sts.xml);
      logRequest(state, 200);
      return;
    }

    const xml = await dispatchAction({
      control: opts.control,
      params,
      requestId: state.requestId,
      // Unsigned requests never get here (only STS's web identity call may be unsigned).
      principal: state.caller?.principal ?? '',
      logger: logger.child({ requestId: state.requestId }),
      extraActions,
      onAction: (name) => (state.action = name),
    });
    sendBody(req, res, 200, 'text/xml', xml);
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
    sendBody(req, res, fault.status, 'text/xml', faultXml(fault, state.requestId, state.sts ? stsXmlNamespace : undefined));
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

  const server = createServer(
    {
      // Node's own bounds on receiving a request (it answers 408 and closes): headers within
      // headersTimeoutMs; the whole request a little after our body timeout, as a backstop to it.
      headersTimeout: headersTimeoutMs,
      requestTimeout: headersTimeoutMs + bodyTimeoutMs + 1000,
      // Node enforces both only when it checks its connections (30 s by default): often enough here.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, bodyTimeoutMs) / 4))),
    },
    (req, res) => handle(req, res),
  );
  // `Expect: 100-continue`: 100 is sent only once size, key and concurrency checks passed
  // (handleQuery), so a refused client never sends its body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => handle(req, res, true));
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
