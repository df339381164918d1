import type { RDSClient } from '@aws-sdk/client-rds';
import { createRdsClient, resolveClientContext, type ClientContext } from './client-context.js';
import { ApiCallError, CliError, ExitCode, isConnectionError, ServerUnreachableError } from './errors.js';
import type { GlobalArgs } from './options.js';
import { renderOutput } from './output/render.js';
import type { CliClock, CliIo, CommandContext } from './registry.js';

/** The CommandContext `runCli` hands to commands: lazy client resolution, output, error mapping. */
export class CliCommandContext implements CommandContext {
  private resolved: Promise<ClientContext> | undefined;
  private resolvedWithCredentials = false;
  private client: Promise<RDSClient> | undefined;

  constructor(
    readonly io: CliIo,
    readonly globals: GlobalArgs,
    readonly command: string,
    readonly clock: CliClock,
    readonly cwd: string,
    readonly terminalWidth: number,
  ) {}

  clientContext(opts: { credentials?: boolean } = {}): Promise<ClientContext> {
    const wantCredentials = opts.credentials !== false;
    if (this.resolved === undefined || (wantCredentials && !this.resolvedWithCredentials)) {
      this.resolvedWithCredentials = wantCredentials;
      this.resolved = resolveClientContext(this.globals, this.io.env, { credentials: wantCredentials }).then((cc) => {
        const who = cc.credentials ? `, access key ${cc.credentials.accessKeyId} from ${cc.credentials.source}` : '';
        this.debug(`endpoint ${cc.endpoint}, region ${cc.region}, data dir ${cc.dataDir}${who}`);
        return cc;
      });
    }
    return this.resolved;
  }

  rds(): Promise<RDSClient> {
    this.client ??= this.clientContext().then((cc) =>
      createRdsClient(cc, this.globals.debug ? { debug: (line) => this.debug(line) } : {}),
    );
    return this.client;
  }

  async send<T extends object>(operation: string, command: unknown): Promise<T> {
    const client = await this.rds();
    const cc = await this.clientContext();
    try {
      return (await client.send(command as Parameters<RDSClient['send']>[0])) as unknown as T;
    } catch (e) {
      throw toCliError(e, operation, cc.endpoint);
    }
  }

  print(operation: string, response: unknown): void {
    this.io.stdout.write(renderOutput(this.globals.output, operation, response, this.terminalWidth, this.globals.query));
  }

  debug(line: string): void {
    if (this.globals.debug) this.io.stderr.write(`tlsql debug: ${line}\n`);
  }
}

/** Maps an SDK failure to the CLI's error classes (and thereby to its exit code). */
export function toCliError(e: unknown, operation: string, endpoint: string): Error {
  if (e instanceof CliError) return e;
  if (isConnectionError(e)) return new ServerUnreachableError(endpoint, e);
  const err = e as { name?: unknown; message?: unknown; Code?: unknown; Error?: { Code?: unknown }; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 300) {
    // The SDK names modelled errors after its classes (DBInstanceNotFoundFault); the AWS CLI
    // prints the wire code (DBInstanceNotFound), which the SDK keeps in `Code`.
    const generic = new Set(['Error', 'Unknown', 'UnknownError', 'RDSServiceException']);
    const wire = typeof err.Code === 'string' ? err.Code : typeof err.Error?.Code === 'string' ? err.Error.Code : undefined;
    const name = typeof err.name === 'string' && !generic.has(err.name) ? err.name : undefined;
    const code = wire ?? name ?? String(status);
    const message = typeof err.message === 'string' && err.message !== '' && err.message !== 'UnknownError' ? err.message : `HTTP ${status}`;
    return new ApiCallError(operation, code, message, status, e);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new CliError(`calling ${operation} failed: ${message}`, ExitCode.failure, { cause: e });
}
