/**
 * download-bundle: fetches the CA bundle clients verify endpoints with (`--ssl-ca=global-bundle.pem`)
 * from the tlsql API, like downloading RDS's global-bundle.pem from its trust store.
 */

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { CliError, ExitCode, isConnectionError, ServerUnreachableError } from '../errors.js';
import { defineCommand } from '../registry.js';

/** File name of a bundle: `global-bundle.pem`, or `<region>-bundle.pem` for one region. */
export function bundleFileName(region: string | undefined): string {
  return region === undefined ? 'global-bundle.pem' : `${region}-bundle.pem`;
}

/** Number of PEM certificates in `pem`. */
export function countCertificates(pem: string): number {
  return (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

export const downloadBundle = defineCommand({
  name: 'download-bundle',
  summary: 'Downloads the CA bundle (global-bundle.pem or <region>-bundle.pem) clients verify endpoints with.',
  description:
    'Downloads <endpoint>/bundles/global-bundle.pem, or <region>-bundle.pem with --region, and writes it to ' +
    '--out (default: that file name in the current directory). The bundle holds root certificates only, like ' +
    "RDS's. Prints the absolute path and the number of certificates. The bundle is public: no credentials are " +
    'needed. An existing file with the same content is left alone; a different existing file is only replaced ' +
    'with --force, so a bundle you keep for real AWS endpoints is never overwritten by accident (after a CA ' +
    'rotation, use --force to refresh).',
  options: [
    { name: 'out', type: 'string', metavar: '<path>', help: 'Where to write the bundle. Default ./global-bundle.pem (./<region>-bundle.pem with --region).' },
    { name: 'force', type: 'boolean', help: 'Replace an existing file whose content differs.' },
  ],
  async run(ctx, args) {
    const cc = await ctx.clientContext({ credentials: false });
    const name = bundleFileName(ctx.globals.region);
    const url = `${cc.endpoint}/bundles/${name}`;
    ctx.debug(`GET ${url}`);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      if (isConnectionError(e)) throw new ServerUnreachableError(cc.endpoint, e);
      throw new CliError(`GET ${url} failed: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    const body = await res.text();
    if (!res.ok) {
      const hint = res.status === 404 && ctx.globals.region !== undefined ? ` (is ${ctx.globals.region} one of the configured regions?)` : '';
      throw new CliError(`GET ${url} failed: HTTP ${res.status} ${res.statusText}${hint}`, ExitCode.failure);
    }
    const count = countCertificates(body);
    if (count === 0) throw new CliError(`GET ${url} did not return PEM certificates`, ExitCode.failure);

    const out = resolve(ctx.cwd, args.out ?? name);
    let existing: string | undefined;
    try {
      existing = await readFile(out, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${out}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    if (existing === body) {
      ctx.io.stdout.write(`${out}: ${count} certificates (unchanged)\n`);
      return;
    }
    if (existing !== undefined && args.force !== true) {
      throw new CliError(
        `${out} exists and differs from the downloaded bundle (${countCertificates(existing)} -> ${count} certificates); pass --force to replace it`,
        ExitCode.failure,
      );
    }
    // Write beside the target and rename, so a reader never sees half a bundle.
    const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, body, { mode: 0o644, flag: 'wx' });
      await rename(tmp, out);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new CliError(`cannot write ${out}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    ctx.io.stdout.write(`${out}: ${count} certificates\n`);
  },
});
