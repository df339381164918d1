/**
 * The web console's HTTP side, under `/console` on the API listener (docs/console.md).
 *
 * A browser cannot sign SigV4, so it logs in once (a one-time link from `tlsql console`, or the API
 * access key and secret typed into the login form) and then carries a session cookie: HttpOnly,
 * SameSite=Strict, Secure behind TLS (the request's own, or `api.publicUrl` https), Path=/console. Every POST must also carry
 * the session's CSRF token in `X-CSRF-Token` and, when the browser sends one, an `Origin` equal to
 * the console's own. Every response has a strict Content-Security-Policy (scripts and styles from
 * the console's own files only; no inline script), `X-Content-Type-Options: nosniff` and no caching.
 *
 * The console does nothing of its own: `POST /console/api` takes the same awsQuery form as `POST /`
 * and runs it through `dispatchAction`, the very code the SigV4 path runs, as the session's
 * principal. Faults are the same XML with the same statuses.
 *
 * Routes: `GET /console/` (the app, or the login page without a session), `GET /console/login?token=`
 * (one-time link), `POST /console/login` (access key + secret), `POST /console/logout`,
 * `GET /console/session` (principal, CSRF token), `POST /console/api`, `GET /console/metrics-history`,
 * `GET /console/bundles/<bundle>.p12`, `GET /console/assets/<file>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Action } from '../api/actions/action.js';
import { readBody, RequestAborted } from '../api/body.js';
import type { CredentialStore } from '../api/credentials.js';
import { dispatchAction } from '../api/dispatch.js';
import { faultXml, toFault } from '../api/fault.js';
import { parseQueryString, QueryReader } from '../api/query.js';
import type { ConsoleRoute } from '../api/server.js';
import type { ControlPlane } from '../control/control-plane.js';
import { AppError } from '../errors/app-error.js';
import { encodePkcs12TrustStore } from '../pki/bundle-formats.js';
import type { Logger } from '../lib/logger.js';
import type { ConsoleAssets } from './console-assets.js';
import type { ConsoleAuth, ConsoleSession, RefusalReason } from './console-auth.js';
import type { MetricsHistory } from './metrics-history.js';

/** Name of the session cookie. */
export const sessionCookie = 'tlsql_console';
/** Header carrying the CSRF token on every POST. */
export const csrfHeader = 'x-csrf-token';

/** Scripts, styles and requests from the console's own origin only; nothing inline, no frames. */
export const contentSecurityPolicy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** What the console's routes need; defaults are given per field. */
export interface ConsoleServerOptions {
  control: ControlPlane;
  auth: ConsoleAuth;
  /** The API's access keys: the login form checks an access key and secret against them. */
  credentials: CredentialStore;
  assets: ConsoleAssets;
  logger: Logger;
  /** Actions beside the registry that the console may call too (e.g. DescribeServedCertificateChain). */
  extraActions?: readonly Action[];
  /** Samples of the `/metrics` counters for the Traffic charts; absent: the charts stay empty. */
  history?: MetricsHistory;
  /**
   * The public bundle `name` (e.g. `global-bundle.pem`) as PEM, or null: the console serves it as a
   * PKCS#12 truststore at `/console/bundles/<name without .pem>.p12` (password `changeit`, as
   * `tlsql download-bundle --format pkcs12`). Absent: no .p12 downloads.
   */
  bundlePem?: (name: string) => string | null;
  /** Region and other facts the front end shows. */
  info: { region: string };
  /**
   * Mark the cookie `Secure` on every response, for a console reached through a TLS proxy
   * (`api.publicUrl` https). Default false: `Secure` only when the request itself came over TLS.
   */
  secureCookies?: boolean;
  /** Largest request body. Default 1 MiB. */
  maxBodyBytes?: number;
  /** A body must arrive within this. Default 10 s. */
  bodyTimeoutMs?: number;
}

/** The PKCS#12 truststore's password, as Java's cacerts and `tlsql download-bundle --format pkcs12`. */
export const defaultTruststorePassword = 'changeit';

/** Actions the console never runs: a console session must not mint more login links. */
const notFromConsole = new Set(['CreateConsoleLoginLink']);

const refusalText: Record<RefusalReason, string> = {
  'no-session': 'Not logged in to the console.',
  'session-expired': 'The console session has expired; log in again.',
  'link-unknown': 'This login link is not valid (each link works once). Run `tlsql console` for a new one.',
  'link-expired': 'This login link has expired. Run `tlsql console` for a new one.',
  'csrf-mismatch': 'The request did not carry this session\'s CSRF token.',
};

/** The console's request handler for `createApiServer({ console })`. */
export function createConsoleServer(opts: ConsoleServerOptions): ConsoleRoute {
  const logger = opts.logger.child({ component: 'console' });
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const bodyTimeoutMs = opts.bodyTimeoutMs ?? 10_000;
  const secure = (req: IncomingMessage): boolean => opts.secureCookies === true || isTls(req);
  const extraActions = new Map((opts.extraActions ?? []).filter((a) => !notFromConsole.has(a.name)).map((a) => [a.name, a]));

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> => {
    securityHeaders(res);
    const method = req.method ?? 'GET';
    const path = url.pathname;
    try {
      if (path === '/console') return redirect(res, '/console/');
      if (method === 'GET' || method === 'HEAD') {
        if (path === '/console/') return serveApp(req, res);
        if (path.startsWith('/console/assets/')) return serveAsset(req, res, path.slice('/console/assets/'.length));
        if (path === '/console/login') return loginWithLink(req, res, url);
        if (path === '/console/session') return sessionInfo(req, res);
        if (path === '/console/metrics-history') return metricsHistory(req, res);
        if (path.startsWith('/console/bundles/')) return pkcs12Bundle(req, res, path.slice('/console/bundles/'.length));
      } else if (method === 'POST') {
        if (!sameOrigin(req)) return refuse(res, 403, 'The request came from another origin.');
        if (path === '/console/login') return await loginWithSecret(req, res);
        if (path === '/console/logout') return logout(req, res);
        if (path === '/console/api') return await api(req, res, requestId);
      } else {
        res.setHeader('Allow', 'GET, POST');
        return text(res, 405, 'Method Not Allowed\n');
      }
      return text(res, 404, 'Not Found\n');
    } catch (e) {
      if (e instanceof RequestAborted || res.destroyed) return;
      const fault = toFault(e, requestId);
      if (fault.internal) logger.error('console request failed', { requestId, path, err: e });
      if (path === '/console/api') return send(res, fault.status, 'text/xml', faultXml(fault, requestId));
      return text(res, fault.status, `${fault.message}\n`);
    }
  };

  /** The session of this request, or why there is none; POSTs must carry the CSRF token. */
  const sessionOf = (req: IncomingMessage): ConsoleSession | { refused: RefusalReason } => {
    const token = readCookie(req, sessionCookie);
    const header = req.headers[csrfHeader];
    return opts.auth.authenticate(token, { stateChanging: req.method !== 'GET' && req.method !== 'HEAD', csrfToken: typeof header === 'string' ? header : undefined });
  };

  const serveApp = (req: IncomingMessage, res: ServerResponse): void => {
    const s = sessionOf(req);
    const page = 'refused' in s ? 'login.html' : 'index.html';
    const asset = opts.assets.get(page);
    if (!asset) return text(res, 503, 'The console is not built: run `npm run build`.\n');
    send(res, 200, asset.contentType, asset.body);
  };

  const serveAsset = (_req: IncomingMessage, res: ServerResponse, name: string): void => {
    const asset = opts.assets.get(name);
    if (!asset) return text(res, 404, 'Not Found\n');
    send(res, 200, asset.contentType, asset.body);
  };

  const loginWithLink = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    const token = url.searchParams.get('token') ?? '';
    const r = opts.auth.redeemLoginLink(token);
    if ('refused' in r) {
      logger.warn('console login refused', { reason: r.refused, client: req.socket.remoteAddress });
      return refusePage(res, 403, refusalText[r.refused]);
    }
    logger.info('console login', { with: 'link', client: req.socket.remoteAddress });
    setSessionCookie(res, r.session, secure(req));
    // Redirected so the token leaves the address bar and the history.
    redirect(res, '/console/');
  };

  const loginWithSecret = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, 16 * 1024, bodyTimeoutMs);
    const form = new URLSearchParams(body.toString('utf8'));
    const id = form.get('AccessKeyId') ?? '';
    const secret = form.get('SecretAccessKey') ?? '';
    const key = id ? await opts.credentials.lookup(id) : null;
    const ok = key !== null && key.active && !key.requiresSessionToken && sameSecret(secret, key.secretAccessKey);
    if (!ok) {
      logger.warn('console login refused', { reason: 'bad-credentials', accessKeyId: id.slice(0, 128), client: req.socket.remoteAddress });
      return refusePage(res, 403, 'Unknown access key or wrong secret.');
    }
    const s = opts.auth.startSession(key.principal);
    logger.info('console login', { with: 'secret', accessKeyId: id, client: req.socket.remoteAddress });
    setSessionCookie(res, s.session, secure(req));
    redirect(res, '/console/');
  };

  const logout = (req: IncomingMessage, res: ServerResponse): void => {
    const s = sessionOf(req);
    if ('refused' in s) return refuse(res, 403, refusalText[s.refused]);
    opts.auth.endSession(readCookie(req, sessionCookie));
    res.setHeader('Set-Cookie', `${sessionCookie}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0${secure(req) ? '; Secure' : ''}`);
    send(res, 200, 'application/json', JSON.stringify({ loggedOut: true }));
  };

  const sessionInfo = (req: IncomingMessage, res: ServerResponse): void => {
    const s = sessionOf(req);
    if ('refused' in s) return refuse(res, 401, refusalText[s.refused]);
    send(res, 200, 'application/json', JSON.stringify({ principal: s.principal, csrfToken: s.csrfToken, region: opts.info.region }));
  };

  const metricsHistory = (req: IncomingMessage, res: ServerResponse): void => {
    const s = sessionOf(req);
    if ('refused' in s) return refuse(res, 401, refusalText[s.refused]);
    send(res, 200, 'application/json', JSON.stringify({ samples: opts.history?.samples() ?? [] }));
  };

  const pkcs12Bundle = (req: IncomingMessage, res: ServerResponse, name: string): void => {
    const s = sessionOf(req);
    if ('refused' in s) return refuse(res, 401, refusalText[s.refused]);
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,120})\.p12$/.exec(name);
    const pem = m && opts.bundlePem ? opts.bundlePem(`${m[1]}.pem`) : null;
    if (!pem) return text(res, 404, 'Not Found\n');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    send(res, 200, 'application/x-pkcs12', encodePkcs12TrustStore(pem, defaultTruststorePassword));
  };

  const api = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    // Refused before the body is read: no session, no work.
    const s = sessionOf(req);
    if ('refused' in s) {
      res.setHeader('Connection', 'close');
      throw new AppError(s.refused === 'csrf-mismatch' ? 'InvalidCsrfToken' : 'MissingAuthenticationToken', refusalText[s.refused]);
    }
    const body = await readBody(req, maxBodyBytes, bodyTimeoutMs);
    const params = new QueryReader(parseQueryString(body.toString('utf8')));
    const name = params.string('Action') ?? '';
    if (notFromConsole.has(name)) throw new AppError('InvalidAction', `The action ${name} is not available from the console.`);
    let action = '';
    const xml = await dispatchAction({
      control: opts.control,
      params,
      requestId,
      principal: s.principal,
      logger: logger.child({ requestId, via: 'console' }),
      extraActions,
      onAction: (n) => (action = n),
    });
    logger.info('console api request', { requestId, action, principal: s.principal });
    send(res, 200, 'text/xml', xml);
  };

  return { handle };
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form POSTs, which the origin check refuses.
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function isTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

function setSessionCookie(res: ServerResponse, token: string, secure: boolean): void {
  res.setHeader('Set-Cookie', `${sessionCookie}=${token}; Path=/console; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`);
}

/** The value of cookie `name`, or undefined. */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** A POST's `Origin` (when the browser sends one) must name this server, as the Host header does. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    // "null" or garbage: an opaque origin is never ours.
    return false;
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, contentType: string, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.end(res.req?.method === 'HEAD' ? undefined : bytes);
}

function text(res: ServerResponse, status: number, body: string): void {
  send(res, status, 'text/plain; charset=utf-8', body);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  send(res, status, 'application/json', JSON.stringify({ error: message }));
}

function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', 0);
  res.end();
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A small page for a refused login: no script, the console's stylesheet, a way back. */
function refusePage(res: ServerResponse, status: number, message: string): void {
  send(
    res,
    status,
    'text/html; charset=utf-8',
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>tlsql console: login refused</title>` +
      `<link rel="stylesheet" href="/console/assets/app.css"></head><body><main class="login"><h1>Login refused</h1>` +
      `<p role="alert">${escapeHtml(message)}</p><p><a href="/console/">Log in with the API secret</a></p></main></body></html>`,
  );
}
