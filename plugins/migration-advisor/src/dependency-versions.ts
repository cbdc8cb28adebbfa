import { defineTool, type WorkspaceView } from '@ccp/plugin-api';
import { z } from 'zod';

/** The package ecosystems the tool reads. */
export const ECOSYSTEMS = ['npm', 'python', 'go'] as const;
export type Ecosystem = (typeof ECOSYSTEMS)[number];

/** One dependency as the workspace's manifests and lockfiles state it. */
export interface Dependency {
  readonly name: string;
  readonly ecosystem: Ecosystem;
  /** What the manifest asks for (`^4.18.0`, `>=2.0,<3`), when it names the dependency. */
  readonly declared?: string;
  /** The exact version a lockfile pins or the manifest fixes (`4.18.2`); absent when nothing pins one. */
  readonly exact?: string;
  /** The files that name it, manifest first. */
  readonly files: readonly string[];
  /** Only needed to develop or test (npm devDependencies, Poetry dev groups). */
  readonly dev?: boolean;
}

const base = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '');

/** Collects dependencies by ecosystem, name and directory (a monorepo's packages stay apart). */
class Found {
  private readonly byKey = new Map<string, Dependency>();

  add(dir: string, dep: Dependency): void {
    const key = `${dep.ecosystem}\u0000${dir}\u0000${dep.name}`;
    const had = this.byKey.get(key);
    if (!had) {
      this.byKey.set(key, dep);
      return;
    }
    this.byKey.set(key, {
      ...had,
      declared: had.declared ?? dep.declared,
      exact: had.exact ?? dep.exact,
      files: [...new Set([...had.files, ...dep.files])],
      ...(had.dev || dep.dev ? { dev: had.dev ?? dep.dev } : {}),
    });
  }

  list(): Dependency[] {
    return [...this.byKey.values()].sort((a, b) => a.ecosystem.localeCompare(b.ecosystem) || a.name.localeCompare(b.name) || a.files[0]!.localeCompare(b.files[0]!));
  }
}

const EXACT_SEMVER = /^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;

function npmManifest(path: string, text: string, found: Found): void {
  const json = JSON.parse(text) as Record<string, Record<string, string> | undefined>;
  for (const [field, dev] of [['dependencies', false], ['devDependencies', true], ['optionalDependencies', false], ['peerDependencies', false]] as const) {
    for (const [name, range] of Object.entries(json[field] ?? {})) {
      found.add(dirOf(path), { name, ecosystem: 'npm', declared: range, ...(EXACT_SEMVER.test(range) ? { exact: range.replace(/^v/, '') } : {}), files: [path], ...(dev ? { dev } : {}) });
    }
  }
}

function npmLock(path: string, text: string, found: Found): void {
  const json = JSON.parse(text) as { packages?: Record<string, { version?: string; dev?: boolean }>; dependencies?: Record<string, { version?: string; dev?: boolean }> };
  // lockfileVersion 2 and 3: "node_modules/<name>" (top level only: nested copies are other trees' choices).
  for (const [key, entry] of Object.entries(json.packages ?? {})) {
    const name = key.startsWith('node_modules/') ? key.slice('node_modules/'.length) : undefined;
    if (!name || name.includes('/node_modules/') || !entry.version) continue;
    found.add(dirOf(path), { name, ecosystem: 'npm', exact: entry.version, files: [path], ...(entry.dev ? { dev: true } : {}) });
  }
  // lockfileVersion 1.
  if (!json.packages) {
    for (const [name, entry] of Object.entries(json.dependencies ?? {})) {
      if (entry.version) found.add(dirOf(path), { name, ecosystem: 'npm', exact: entry.version, files: [path], ...(entry.dev ? { dev: true } : {}) });
    }
  }
}

/** A PEP 508 requirement (`Django==4.2.7`, `requests>=2.31 ; python_version > "3.8"`) as name and specifier. */
function requirement(line: string): { name: string; spec: string } | undefined {
  const cleaned = line.split(';')[0]!.split('#')[0]!.trim();
  const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$/.exec(cleaned);
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase().replace(/[._]+/g, '-'), spec: (m[3] ?? '').replace(/\s+/g, '') };
}

const pinned = (spec: string) => /^===?([^,*]+)$/.exec(spec)?.[1];

function pythonRequirements(path: string, text: string, found: Found): void {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith('-')) continue;
    const req = requirement(line);
    if (!req) continue;
    const exact = pinned(req.spec);
    found.add(dirOf(path), { name: req.name, ecosystem: 'python', ...(req.spec ? { declared: req.spec } : {}), ...(exact ? { exact } : {}), files: [path], ...(/dev|test/i.test(base(path)) ? { dev: true } : {}) });
  }
}

/** The lines of one `[table]` of a TOML file. */
function tomlTable(text: string, name: string): string[] {
  const lines = text.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `[${name}]`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

function pyproject(path: string, text: string, found: Found): void {
  // PEP 621: [project] dependencies = ["a>=1", …], possibly over several lines.
  const project = tomlTable(text, 'project').join('\n');
  const list = /^\s*dependencies\s*=\s*\[([\s\S]*?)\]/m.exec(project)?.[1] ?? '';
  for (const [, quoted] of list.matchAll(/["']([^"']+)["']/g)) {
    const req = requirement(quoted!);
    if (!req) continue;
    const exact = pinned(req.spec);
    found.add(dirOf(path), { name: req.name, ecosystem: 'python', ...(req.spec ? { declared: req.spec } : {}), ...(exact ? { exact } : {}), files: [path] });
  }
  // Poetry: name = "^1.2" or name = { version = "1.2.3", … }.
  for (const [table, dev] of [['tool.poetry.dependencies', false], ['tool.poetry.dev-dependencies', true], ['tool.poetry.group.dev.dependencies', true]] as const) {
    for (const line of tomlTable(text, table)) {
      const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*=\s*(?:"([^"]*)"|\{[^}]*version\s*=\s*"([^"]*)")/.exec(line);
      if (!m || m[1] === 'python') continue;
      const declared = m[2] ?? m[3] ?? '';
      found.add(dirOf(path), { name: m[1]!.toLowerCase(), ecosystem: 'python', declared, ...(/^\d+(\.\d+)*$/.test(declared) ? { exact: declared } : {}), files: [path], ...(dev ? { dev } : {}) });
    }
  }
}

function goMod(path: string, text: string, found: Found): void {
  let inBlock = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.split('//')[0]!.trim();
    if (/^require\s*\($/.test(line)) inBlock = true;
    else if (inBlock && line === ')') inBlock = false;
    const spec = inBlock ? line : /^require\s+(.+)$/.exec(line)?.[1];
    const m = spec ? /^(\S+)\s+(v\S+)$/.exec(spec) : undefined;
    if (m) found.add(dirOf(path), { name: m[1]!, ecosystem: 'go', declared: m[2]!, exact: m[2]!, files: [path] });
  }
}

/** The readers by file name; manifests before lockfiles, so a dependency's first file is its manifest. */
const READERS: readonly { readonly matches: (name: string) => boolean; readonly ecosystem: Ecosystem; readonly read: (path: string, text: string, found: Found) => void; readonly order: number }[] = [
  { matches: (n) => n === 'package.json', ecosystem: 'npm', read: npmManifest, order: 0 },
  { matches: (n) => n === 'package-lock.json' || n === 'npm-shrinkwrap.json', ecosystem: 'npm', read: npmLock, order: 1 },
  { matches: (n) => /^requirements.*\.txt$/.test(n), ecosystem: 'python', read: pythonRequirements, order: 0 },
  { matches: (n) => n === 'pyproject.toml', ecosystem: 'python', read: pyproject, order: 0 },
  { matches: (n) => n === 'go.mod', ecosystem: 'go', read: goMod, order: 0 },
];

/** What the tool answers. */
export interface DependencyReport {
  readonly manifests: readonly { readonly file: string; readonly ecosystem: Ecosystem }[];
  readonly dependencies: readonly Dependency[];
  /** Files that could not be read or parsed, with why. */
  readonly unreadable: readonly { readonly file: string; readonly reason: string }[];
}

/** Reads every manifest and lockfile in the workspace (see {@link dependencyVersions}). */
export async function readDependencies(workspace: WorkspaceView, filter: { ecosystem?: Ecosystem; name?: string } = {}): Promise<DependencyReport> {
  const files = (await workspace.list())
    .flatMap((file) => {
      const reader = READERS.find((r) => r.matches(base(file)) && (!filter.ecosystem || r.ecosystem === filter.ecosystem));
      return reader ? [{ file, reader }] : [];
    })
    .sort((a, b) => a.reader.order - b.reader.order || a.file.localeCompare(b.file));
  const found = new Found();
  const unreadable: { file: string; reason: string }[] = [];
  for (const { file, reader } of files) {
    try {
      reader.read(file, await workspace.readFile(file), found);
    } catch (err) {
      unreadable.push({ file, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  const wanted = filter.name?.toLowerCase();
  return {
    manifests: files.map(({ file, reader }) => ({ file, ecosystem: reader.ecosystem })),
    dependencies: found.list().filter((d) => !wanted || d.name.toLowerCase() === wanted),
    unreadable,
  };
}

/**
 * migration-advisor's own tool: the exact dependency versions the workspace's manifests and
 * lockfiles pin (npm `package.json` and `package-lock.json`, Python `requirements*.txt` and
 * `pyproject.toml`, Go `go.mod`), so the plan starts from what is installed, not from a guess.
 */
export const dependencyVersions = defineTool({
  name: 'dependency_versions',
  description:
    'Lists the dependencies the submitted manifests and lockfiles declare, with the exact version each one pins (package.json + package-lock.json, requirements*.txt, pyproject.toml, go.mod). Optionally only one ecosystem or one package. Call it before planning a dependency upgrade.',
  input: z.strictObject({
    ecosystem: z.enum(ECOSYSTEMS).optional().describe('Only this ecosystem'),
    name: z.string().min(1).max(214).optional().describe('Only this package (e.g. express)'),
  }),
  timeoutMs: 10_000,
  run: (input, ctx) => readDependencies(ctx.workspace, input),
});
