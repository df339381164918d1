// Builds the web console (web/console/) into dist/console/, which `tlsql server` serves under
// /console (src/console/console-assets.ts). Everything the browser loads is in that folder:
// the console works offline. Run by `npm run build` (and by the tests' global setup).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, 'web/console/src/main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const f of ['index.html', 'login.html', 'app.css']) copyFileSync(join(root, 'web/console', f), join(out, f));
copyFileSync(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(out, 'uplot.css'));
