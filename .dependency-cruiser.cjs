/**
 * The layer checker (docs/architecture.md): folders under src/ in layers, bottom to top. A folder
 * may import folders of its own layer or below, never one above, and no file may take part in an
 * import cycle (type-only imports count: a type names a folder just as a value does).
 *
 * Run: npx depcruise src --config .dependency-cruiser.cjs (scripts/test.sh does). It exits with
 * the number of violations; test/unit/architecture/layers.test.ts proves that it fails.
 *
 * Only src/ is checked: bench/ and test/ may reach into any layer. Node builtins and npm packages
 * are not part of the graph.
 */

/** Bottom to top. A new folder under src/ must be placed here, or `unlayered` reports it. */
const LAYERS = [
  ['lib', 'errors', 'model', 'protocol'],
  ['store', 'pki', 'config'],
  ['engine', 'iam'],
  ['dataplane'],
  ['control', 'reconcile'],
  ['api', 'cli', 'client', 'console', 'doctor', 'service', 'main.ts'],
];

/** `src/<folder>/...` or, for `main.ts`, that file itself. */
const pathOf = (names) => `^src/(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;

const upwardRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${i}-imports-upward`,
  comment: `${layer.join(', ')} (layer ${i}) may import only layers 0..${i}.`,
  severity: 'error',
  from: { path: pathOf(layer) },
  to: { path: pathOf(LAYERS.slice(i + 1).flat()) },
}));

module.exports = {
  forbidden: [
    ...upwardRules,
    {
      name: 'no-circular',
      comment: 'An import cycle, also between files of one folder: cut it, or move the shared part one layer down.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      comment: 'Two folders that import each other (no single file need be in a cycle): one of them belongs below the other.',
      severity: 'error',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'unlayered',
      comment: 'A file under src/ outside every layer: add its folder to LAYERS in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: pathOf(LAYERS.flat()) },
      to: {},
    },
  ],
  options: {
    // Type-only imports are dependencies too; swc keeps them (TypeScript 7 has no compiler API for depcruise).
    parser: 'swc',
    tsPreCompilationDeps: true,
    includeOnly: '^src/',
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
