#!/usr/bin/env node
// Fails on any import cycle in the TypeScript sources (type-only imports included: a cycle
// of types is still a cycle of design) and on imports that cross the house's borders:
// the plugin contract imports no runtime, the runtime imports no plugin, plugins import only
// the contract. madge would be the maintained choice, but madge 8 parses TypeScript through
// the `typescript` compiler API, which TypeScript 7 (native) no longer exposes.
'use strict';
const { readdirSync, readFileSync, statSync, existsSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');

const root = join(__dirname, '..');
const packages = { '@ccp/plugin-api': 'core/plugin-api', '@ccp/runtime': 'core/runtime', '@ccp/testing': 'core/testing', '@ccp/server': 'apps/server' };
for (const dir of readdirSync(join(root, 'plugins'))) packages[`@ccp/plugin-${dir}`] = `plugins/${dir}`;

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : files(full);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') ? [full] : [];
  });
}

function target(from, spec) {
  if (spec.startsWith('.')) {
    const base = resolve(dirname(from), spec);
    for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) if (existsSync(candidate)) return candidate;
    return undefined;
  }
  const pkg = packages[spec];
  return pkg ? join(root, pkg, 'src/index.ts') : undefined;
}

const sources = Object.values(packages).flatMap((p) => (existsSync(join(root, p, 'src')) ? files(join(root, p, 'src')) : []));
const graph = new Map();
const problems = [];
const pkgOf = (file) => Object.entries(packages).find(([, dir]) => file.startsWith(join(root, dir) + '/'))?.[0];
for (const file of sources) {
  const text = readFileSync(file, 'utf8');
  const edges = new Set();
  for (const match of text.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)'([^']+)'/gm)) {
    const spec = match[1];
    const to = target(file, spec);
    if (to) edges.add(to);
    const [from, into] = [pkgOf(file), spec.startsWith('.') ? pkgOf(to ?? '') : packages[spec] ? spec : undefined];
    if (!from || !into || from === into) continue;
    const rel = relative(root, file);
    if (from === '@ccp/plugin-api') problems.push(`${rel}: the plugin contract imports ${into}`);
    if (from === '@ccp/runtime' && into.startsWith('@ccp/plugin-') && into !== '@ccp/plugin-api') problems.push(`${rel}: the runtime imports the plugin ${into}`);
    if (from.startsWith('@ccp/plugin-') && from !== '@ccp/plugin-api' && into !== '@ccp/plugin-api') problems.push(`${rel}: a plugin imports ${into}`);
  }
  graph.set(file, [...edges]);
}

// Tarjan's strongly connected components: every component with more than one file is a cycle.
let index = 0;
const stack = [];
const meta = new Map();
const cycles = [];
function connect(v) {
  meta.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!meta.has(w)) {
      connect(w);
      meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).low);
    } else if (meta.get(w).onStack) meta.get(v).low = Math.min(meta.get(v).low, meta.get(w).index);
  }
  if (meta.get(v).low === meta.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      meta.get(w).onStack = false;
      component.push(relative(root, w));
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  }
}
for (const v of graph.keys()) if (!meta.has(v)) connect(v);

for (const c of cycles) problems.push(`import cycle: ${c.join(' -> ')}`);
if (problems.length > 0) {
  process.stderr.write(`import check failed:\n  - ${problems.join('\n  - ')}\n`);
  process.exit(1);
}
process.stdout.write(`import check: ${graph.size} files, no cycle, no import across the contract, runtime and plugin borders\n`);
