import type { WorkspaceView } from '@ccp/plugin-api';
import { readDependencies } from './dependency-versions';

/** A workspace of these files, as the runtime's read-only view gives it. */
function view(files: Record<string, string>): WorkspaceView {
  return {
    list: async () => Object.keys(files).sort(),
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`"${path}" is not a file in the workspace`);
      return text;
    },
  };
}

const packageJson = JSON.stringify({ dependencies: { express: '^4.18.0', lodash: '4.17.21' }, devDependencies: { jest: '^29.0.0' } });
const packageLock = JSON.stringify({
  lockfileVersion: 3,
  packages: {
    '': { name: 'app' },
    'node_modules/express': { version: '4.18.2' },
    'node_modules/lodash': { version: '4.17.21' },
    'node_modules/jest': { version: '29.7.0', dev: true },
    'node_modules/express/node_modules/debug': { version: '2.6.9' },
  },
});

describe('migration-advisor dependency_versions', () => {
  it('returns the versions a package-lock.json pins, beside what package.json asks for', async () => {
    const report = await readDependencies(view({ 'package.json': packageJson, 'package-lock.json': packageLock, 'server.js': '' }));
    expect(report.manifests).toEqual([{ file: 'package.json', ecosystem: 'npm' }, { file: 'package-lock.json', ecosystem: 'npm' }]);
    const byName = Object.fromEntries(report.dependencies.map((d) => [d.name, d]));
    expect(byName.express).toEqual({ name: 'express', ecosystem: 'npm', declared: '^4.18.0', exact: '4.18.2', files: ['package.json', 'package-lock.json'] });
    expect(byName.jest).toMatchObject({ declared: '^29.0.0', exact: '29.7.0', dev: true });
    expect(byName.lodash?.exact).toBe('4.17.21');
    expect(byName.debug).toBeUndefined(); // a nested copy is express's choice, not the app's
  });

  it('reads requirements*.txt, pyproject.toml (PEP 621 and Poetry) and go.mod', async () => {
    const report = await readDependencies(
      view({
        'requirements.txt': '# pinned\nDjango==4.2.7\nrequests>=2.31 ; python_version > "3.8"\n-r base.txt\n',
        'requirements-dev.txt': 'pytest==7.4.3\n',
        'svc/pyproject.toml': '[project]\nname = "svc"\ndependencies = [\n  "fastapi==0.104.1",\n  "pydantic>=2",\n]\n\n[tool.poetry.dependencies]\npython = "^3.11"\nhttpx = { version = "0.25.2", optional = true }\n',
        'go.mod': 'module example.com/app\n\ngo 1.21\n\nrequire github.com/gin-gonic/gin v1.9.1\n\nrequire (\n\tgolang.org/x/net v0.17.0 // indirect\n)\n',
      }),
    );
    const exact = Object.fromEntries(report.dependencies.map((d) => [d.name, d.exact ?? null]));
    expect(exact).toMatchObject({ django: '4.2.7', requests: null, pytest: '7.4.3', fastapi: '0.104.1', pydantic: null, httpx: '0.25.2', 'github.com/gin-gonic/gin': 'v1.9.1', 'golang.org/x/net': 'v0.17.0' });
    expect(report.dependencies.find((d) => d.name === 'pytest')).toMatchObject({ dev: true, files: ['requirements-dev.txt'] });
    expect(report.dependencies.find((d) => d.name === 'python')).toBeUndefined();
  });

  it('filters by ecosystem and name, and reports a file it cannot parse instead of failing', async () => {
    const files = { 'package.json': '{ not json', 'go.mod': 'require github.com/a/b v1.0.0\n', 'requirements.txt': 'flask==3.0.0\n' };
    const report = await readDependencies(view(files), { ecosystem: 'python', name: 'Flask' });
    expect(report.dependencies.map((d) => d.name)).toEqual(['flask']);
    const all = await readDependencies(view(files));
    expect(all.unreadable).toEqual([{ file: 'package.json', reason: expect.any(String) }]);
    expect(all.dependencies.map((d) => d.name)).toEqual(['github.com/a/b', 'flask']);
  });
});
