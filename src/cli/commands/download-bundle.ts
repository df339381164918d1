/**
 * download-bundle: fetches the CA bundle clients verify endpoints with (`--ssl-ca=global-bundle.pem`)
 * from the tlsql API, like downloading RDS's global-bundle.pem from its trust store.
 */

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { bundleFileNameFor, encodePkcs12TrustStore, encodePkcs7Bundle } from '../../pki/bundle-formats.js';
import { CliError, ExitCode, isConnectionError, ServerUnreachableError, UsageError } from '../errors.js';
import { defineCommand } from '../registry.js';

/** File name of a bundle: `global-bundle.pem`, or `<region>-bundle.pem` for one region. */
export function bundleFileName(region: string | undefined): string {
  return region === undefined ? 'global-bundle.pem' : `${region}-bundle.pem`;
}

/** Output formats: PEM roots, PKCS#7 (.p7b), PKCS#12 truststore for Java (.p12). */
const FORMATS = { pem: 'pem', p7b: 'p7b', pkcs12: 'p12' } as const;
type Format = keyof typeof FORMATS;

/** keytool's conventional truststore password, used when none is given. */
const DEFAULT_TRUSTSTORE_PASSWORD = 'changeit';

/** Number of PEM certificates in `pem`. */
export function countCertificates(pem: string): number {
  return (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length;
}

export const downloadBundle = defineCommand({
  name: 'download-bundle',
  summary: 'Downloads the CA bundle clients verify endpoints with: PEM, PKCS#7 (.p7b) or a Java PKCS#12 truststore.',
  description:
    'Downloads <endpoint>/bundles/global-bundle.pem, or <region>-bundle.pem with --region, and writes it to ' +
    '--out (default: that file name in the current directory). The bundle holds root certificates only, like ' +
    "RDS's. Prints the absolute path and the number of certificates. The bundle is public: no credentials are " +
    'needed. An existing file with the same content is left alone; a different existing file is only replaced ' +
    'with --force, so a bundle you keep for real AWS endpoints is never overwritten by accident (after a CA ' +
    'rotation, use --force to refresh). Every CA family is always in the bundles, so a CA an instance will ' +
    'rotate to is trusted before the switch. --ca-certificate-identifier narrows the bundle to one CA family ' +
    '(<ca-id>-bundle.pem). --format p7b writes PKCS#7 (global-bundle.p7b); --format pkcs12 writes a PKCS#12 ' +
    'truststore (global-bundle.p12) in which every root is a trustedCertEntry, for Java clients (keytool imports ' +
    'only the first certificate of a PEM bundle): use it with -Djavax.net.ssl.trustStore=global-bundle.p12 ' +
    '-Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=<password>.',
  options: [
    { name: 'ca-certificate-identifier', type: 'string', metavar: '<ca-id>', help: 'Only the roots of this CA family, e.g. tlsql-ca-ecc384-g1 (file <ca-id>-bundle.pem).' },
    { name: 'format', type: 'string', choices: ['pem', 'p7b', 'pkcs12'], help: 'pem (default), p7b (PKCS#7) or pkcs12 (Java truststore).' },
    { name: 'truststore-password', type: 'string', metavar: '<password>', help: `Password of the PKCS#12 truststore (integrity MAC). Default ${DEFAULT_TRUSTSTORE_PASSWORD}, as Java's cacerts.` },
    { name: 'out', type: 'string', metavar: '<path>', help: 'Where to write the bundle. Default ./global-bundle.pem (./<region>-bundle.pem with --region).' },
    { name: 'force', type: 'boolean', help: 'Replace an existing file whose content differs.' },
  ],
  async run(ctx, args) {
    const format = (args.format ?? 'pem') as Format;
    if (args.truststorePassword !== undefined && format !== 'pkcs12') throw new UsageError('argument --truststore-password: only with --format pkcs12', ctx.command);
    if (args.truststorePassword === '') throw new UsageError('argument --truststore-password: must not be empty', ctx.command);
    const cc = await ctx.clientContext({ credentials: false });
    const selection = { region: ctx.globals.region, familyId: args.caCertificateIdentifier };
    // The PEM is fetched and converted here, so the truststore password never leaves this machine.
    const name = bundleFileNameFor({ ...selection, format: 'pem' });
    const outName = name.replace(/\.pem$/, `.${FORMATS[format]}`);
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
      const hint =
        res.status === 404 && args.caCertificateIdentifier !== undefined
          ? ` (is ${args.caCertificateIdentifier} a CA identifier? see describe-certificates)`
          : res.status === 404 && ctx.globals.region !== undefined
            ? ` (is ${ctx.globals.region} one of the configured regions?)`
            : '';
      throw new CliError(`GET ${url} failed: HTTP ${res.status} ${res.statusText}${hint}`, ExitCode.failure);
    }
    const count = countCertificates(body);
    if (count === 0) throw new CliError(`GET ${url} did not return PEM certificates`, ExitCode.failure);

    const content: Buffer =
      format === 'pem'
        ? Buffer.from(body, 'utf8')
        : format === 'p7b'
          ? Buffer.from(encodePkcs7Bundle(body), 'utf8')
          : encodePkcs12TrustStore(body, args.truststorePassword ?? DEFAULT_TRUSTSTORE_PASSWORD);
    const out = resolve(ctx.cwd, args.out ?? outName);
    let existing: Buffer | undefined;
    try {
      existing = await readFile(out);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new CliError(`cannot read ${out}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    const what = format === 'pkcs12' ? ' (PKCS#12 truststore, trustedCertEntry each)' : format === 'p7b' ? ' (PKCS#7)' : '';
    if (existing?.equals(content)) {
      ctx.io.stdout.write(`${out}: ${count} certificates${what} (unchanged)\n`);
      return;
    }
    if (existing !== undefined && args.force !== true) {
      const was = format === 'pem' ? `${countCertificates(existing.toString('utf8'))} -> ${count} certificates` : `${count} certificates`;
      throw new CliError(
        `${out} exists and differs from the downloaded bundle (${was}); pass --force to replace it`,
        ExitCode.failure,
      );
    }
    // Write beside the target and rename, so a reader never sees half a bundle.
    const tmp = join(dirname(out), `.${basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await writeFile(tmp, content, { mode: 0o644, flag: 'wx' });
      await rename(tmp, out);
    } catch (e) {
      await rm(tmp, { force: true });
      throw new CliError(`cannot write ${out}: ${(e as Error).message}`, ExitCode.failure, { cause: e });
    }
    ctx.io.stdout.write(`${out}: ${count} certificates${what}\n`);
  },
});
