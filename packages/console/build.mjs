// Bundles the console (src/main.tsx, src/console.css) into fingerprinted files under
// dist/assets and writes dist/manifest.json, which names them for the /console page.
// Type-checking is tsc's job (the root `tsc -b` builds this package's tsconfig): esbuild
// only strips types. No CDN, no remote font: everything the page loads is in dist/assets.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist', 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  absWorkingDir: here,
  entryPoints: { console: 'src/main.tsx', 'console-style': 'src/console.css' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: out,
  entryNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const entry = {};
for (const [file, meta] of Object.entries(result.metafile.outputs)) {
  if (meta.entryPoint?.endsWith('main.tsx')) entry.js = basename(file);
  if (meta.entryPoint?.endsWith('console.css')) entry.css = basename(file);
}
if (!entry.js || !entry.css) throw new Error(`the console bundle lacks an entry: ${JSON.stringify(entry)}`);
writeFileSync(join(here, 'dist', 'manifest.json'), JSON.stringify(entry, null, 2) + '\n');
console.log(`console: dist/assets/${entry.js}, dist/assets/${entry.css}`);
