/**
 * What `tlsql doctor` and `tlsql mysql`'s TLS hints read from a local tlsql data dir: its
 * published bundles and its instance names. Both are optional: the endpoint may be remote.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBundle, type Bundle } from './chain.js';

/** `isInstance` for checkHostName: instance directories of the data dir; {} when there is no data dir. */
export function instanceLookup(dataDir: string | undefined): { isInstance?: (id: string) => boolean } {
  if (dataDir === undefined || !existsSync(join(dataDir, 'instances'))) return {};
  return { isInstance: (id) => /^[a-z][a-z0-9-]*$/.test(id) && existsSync(join(dataDir, 'instances', id)) };
}

/** The bundles of a tlsql data dir (`pki/bundles/*.pem`), global first. [] when there are none. */
export function dataDirBundles(dataDir: string | undefined): Bundle[] {
  if (dataDir === undefined) return [];
  const dir = join(dataDir, 'pki', 'bundles');
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pem'));
  } catch {
    return []; // no data dir here (a remote endpoint, or tlsql not initialised): nothing to compare with
  }
  names.sort((a, b) => (a === 'global-bundle.pem' ? -1 : b === 'global-bundle.pem' ? 1 : a.localeCompare(b)));
  return names.map((n) => parseBundle(join(dir, n), readFileSync(join(dir, n), 'utf8'), 'data-dir'));
}
