/**
 * Calls tlsql's own API actions (DescribeDBConnections, IssueClientCertificate, ...), which the
 * RDS SDK's model does not have: the same awsQuery POST, signed with SigV4 for service `rds` exactly
 * as the SDK signs, and the XML result turned into plain objects for `ctx.print`.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { CONNECT_TIMEOUT_MS } from './client-context.js';
import { ApiCallError, CliError, ExitCode, isConnectionError, ServerUnreachableError } from './errors.js';
import type { CommandContext } from './registry.js';

/** An XML element as parsed here: text, or named children in document order. */
interface XmlNode {
  name: string;
  text: string;
  children: XmlNode[];
}

/**
 * Sends `action` with `params` (already flattened, e.g. `ConnectionIds.member.1`) and returns the
 * members of `<{action}Result>` as an object. Elements named in `lists` are arrays of their
 * children (`<Connections><Connection/>...</Connections>` -> `Connections: [...]`).
 */
export async function callTlsqlAction(ctx: CommandContext, action: string, params: Record<string, string | number | undefined>, lists: readonly string[] = []): Promise<Record<string, unknown>> {
  const cc = await ctx.clientContext();
  const creds = cc.credentials!;
  const body = new URLSearchParams({ Action: action, Version: '2014-10-31' });
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, String(v));
  const text = body.toString();
  const url = new URL(cc.endpoint);
  const request = new HttpRequest({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname === '' ? '/' : url.pathname,
    headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: text,
  });
  const signer = new SignatureV4({
    service: 'rds',
    region: cc.region,
    credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, ...(creds.sessionToken ? { sessionToken: creds.sessionToken } : {}) },
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(request);
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k !== 'host'));
  ctx.debug(`HTTP POST ${cc.endpoint}/ Action=${action}`);
  let res: Response;
  try {
    res = await fetch(`${cc.endpoint}/`, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS * 12) });
  } catch (e) {
    if (isConnectionError(e)) throw new ServerUnreachableError(cc.endpoint, e);
    throw new CliError(`calling ${action} failed: ${(e as Error).message}`, ExitCode.failure, { cause: e });
  }
  const xml = await res.text();
  ctx.debug(`HTTP ${res.status} (request id ${res.headers.get('x-amzn-requestid') ?? 'none'})`);
  const root = parseXml(xml);
  if (!res.ok) {
    const err = root?.children.find((c) => c.name === 'Error');
    const code = err?.children.find((c) => c.name === 'Code')?.text ?? String(res.status);
    const message = err?.children.find((c) => c.name === 'Message')?.text ?? `HTTP ${res.status}`;
    throw new ApiCallError(action, code, message, res.status);
  }
  const result = root?.children.find((c) => c.name === `${action}Result`);
  return result ? (toObject(result, new Set(lists)) as Record<string, unknown>) : {};
}

function toObject(node: XmlNode, lists: ReadonlySet<string>): unknown {
  if (lists.has(node.name)) return node.children.map((c) => toObject(c, lists));
  if (node.children.length === 0) return scalar(node.text);
  const out: Record<string, unknown> = {};
  for (const c of node.children) out[c.name] = toObject(c, lists);
  return out;
}

/** Numbers and booleans as the SDK would type them; everything else stays text. */
function scalar(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+(\.\d+)?$/.test(text) && text.length < 16) return Number(text);
  return text;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#13': '\r', '#10': '\n' };

/** A minimal parser for the API's own responses: elements, text, entities; no attributes used, no CDATA. */
function parseXml(xml: string): XmlNode | undefined {
  const stack: XmlNode[] = [];
  let root: XmlNode | undefined;
  const re = /<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    if (m[4] !== undefined) {
      if (stack.length) stack[stack.length - 1]!.text += m[4].replace(/&(#?\w+);/g, (e, n: string) => ENTITIES[n] ?? e);
      continue;
    }
    if (xml[m.index + 1] === '?') continue;
    const [, closing, name, selfClosing] = m;
    if (closing) {
      const done = stack.pop();
      if (!stack.length) root = done;
      continue;
    }
    const node: XmlNode = { name: name!, text: '', children: [] };
    stack[stack.length - 1]?.children.push(node);
    if (selfClosing) {
      if (!stack.length) root = node;
      continue;
    }
    stack.push(node);
  }
  return root;
}
