/**
 * The console's front end, built by `npm run build` (scripts/build-console.mjs) into
 * `dist/console/` of the package, and read from there: nothing is fetched from the internet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The package's root: the nearest folder above this module holding tlsql's package.json. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tlsql') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('tlsql package root not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** Where the built console lives: `<package>/dist/console`. */
export function defaultAssetsDir(): string {
  return join(packageRoot(), 'dist', 'console');
}

/** One built file. */
export interface Asset {
  body: Buffer;
  contentType: string;
}

/**
 * Reads built files on demand and keeps those that exist (they change only with a rebuild, which
 * restarts the server). Names with `..`, a leading dot or an unknown extension are refused (null).
 */
export class ConsoleAssets {
  private readonly cache = new Map<string, Asset>();
  constructor(private readonly dir: string) {}

  get(name: string): Asset | null {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const asset = this.read(name);
    // Only files that exist: unauthenticated requests for made-up names must not grow the map.
    if (asset) this.cache.set(name, asset);
    return asset;
  }

  /** Whether the console has been built (index.html present). */
  get built(): boolean {
    return existsSync(join(this.dir, 'index.html'));
  }

  private read(name: string): Asset | null {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$/.test(name) || name.includes('..')) return null;
    const ext = name.slice(name.lastIndexOf('.'));
    const contentType = contentTypes[ext];
    if (!contentType) return null;
    const path = normalize(join(this.dir, name));
    if (!path.startsWith(this.dir + sep) || !existsSync(path)) return null;
    return { body: readFileSync(path), contentType };
  }
}
