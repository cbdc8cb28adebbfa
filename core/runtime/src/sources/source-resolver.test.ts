import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformError } from '@ccp/plugin-api';
import { createTestRepository, LogCapture, RecordingGitRunner, type TestRepository } from '@ccp/testing';
import { z } from 'zod';
import { configSchema, type RepositoryConfig } from '../config/schema';
import { createLogger } from '../logging/logger';
import { Mirrors } from './mirrors';
import { SourceResolver } from './source-resolver';

const support = { configFile: { path: '.ccp/review.yaml', schema: z.strictObject({ exclude: z.array(z.string()).optional(), maxFindings: z.number().int().optional() }) } };

async function refusal(p: Promise<unknown>): Promise<PlatformError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof PlatformError)) throw new Error(`expected a PlatformError, got ${String(err)}`);
  return err;
}

describe('resolving a repository source', () => {
  let repo: TestRepository;
  let root: string;
  const logs = new LogCapture();
  const logger = createLogger('warn', {}, logs);
  const sources = (extra: Partial<ReturnType<typeof configSchema.shape.sources.parse>> = {}) => ({ ...configSchema.shape.sources.parse({}), mirrorDir: join(root, `mirrors-${Math.random()}`), ...extra });
  const build = (repos: RepositoryConfig[], settings = sources()) => {
    const git = new RecordingGitRunner();
    return { git, resolver: new SourceResolver(repos, settings, new Mirrors(git, settings, {}, logger), git), mirrors: new Mirrors(git, settings, {}, logger) };
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ccp-resolve-'));
    repo = createTestRepository('demo');
    repo.write({ 'src/util.ts': 'export function clamp(x: number) {\n  return Math.min(1, Math.max(0, x));\n}\n', 'src/app.ts': 'export const level = 2;\n', 'docs/guide.md': '# Guide\n' });
    repo.commit('initial');
    repo.checkout('feature', true);
    repo.write({ 'src/app.ts': "import { clamp } from './util';\nexport const level = clamp(2);\n", 'docs/guide.md': '# Guide\n\nClamped.\n', '.ccp/review.yaml': 'exclude:\n  - docs/**\nmaxFindings: 3\n' });
    repo.commit('clamp the level');
    repo.checkout('broken-config', true);
    repo.write({ '.ccp/review.yaml': 'exclude:\n  - docs/**\nmaxFindings: many\n' });
    repo.commit('break the config');
    repo.git('checkout', '--quiet', '--orphan', 'unrelated');
    repo.commit('no shared history');
    repo.checkout('main');
    repo.push();
  });
  afterAll(() => {
    repo.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it('clones once, resolves refs to commits and computes the diff base...head itself, with the config at head', async () => {
    const { git, resolver } = build([{ name: 'demo', url: repo.url }]);
    const { resolved, tree } = await resolver.resolve({ repository: 'demo', head: 'feature', base: 'main' }, support);
    expect(resolved.head).toEqual({ ref: 'feature', commit: repo.rev('feature') });
    expect(resolved.base).toEqual({ ref: 'main', commit: repo.rev('main') });
    expect(resolved.mergeBase).toBe(repo.rev('main'));
    expect(resolved.changedFiles.map((f) => [f.path, f.status])).toEqual([['.ccp/review.yaml', 'added'], ['docs/guide.md', 'modified'], ['src/app.ts', 'modified']]);
    expect(resolved.changedFiles.find((f) => f.path === 'src/app.ts')?.diff).toContain("+import { clamp } from './util';");
    expect(resolved.config).toEqual({ exclude: ['docs/**'], maxFindings: 3 });
    expect(tree).toEqual({ repository: 'demo', gitDir: expect.stringMatching(/demo-[0-9a-f]{12}\.git$/), commit: repo.rev('feature') });
    expect(git.count('clone')).toBe(1);
    expect(git.count('fetch')).toBe(0);
    // no command reached the network but the clone, and that one only by the repository's own transport
    expect(git.commands.filter((c) => c.scheme !== undefined).map((c) => [c.args[0], c.scheme])).toEqual([['clone', 'file']]);
  });

  it('reuses the mirror: a second resolution fetches once and never clones; known commit SHAs need no fetch at all', async () => {
    const { git, resolver } = build([{ name: 'demo', url: repo.url }]);
    await resolver.resolve({ repository: 'demo', head: 'feature', base: 'main' }, support);
    git.clear();
    await resolver.resolve({ repository: 'demo', head: 'feature', base: 'main' }, support);
    expect([git.count('clone'), git.count('fetch')]).toEqual([0, 1]);
    git.clear();
    await resolver.resolve({ repository: 'demo', head: repo.rev('feature'), base: repo.rev('main') }, support);
    expect([git.count('clone'), git.count('fetch')]).toEqual([0, 0]);
  });

  it('sees a commit pushed since the last fetch, and the default branch is the base when none is given', async () => {
    const { resolver } = build([{ name: 'demo', url: repo.url }]);
    const first = await resolver.resolve({ repository: 'demo', head: 'feature' }, support);
    expect(first.resolved.base).toEqual({ ref: 'HEAD', commit: repo.rev('main') });
    repo.checkout('feature');
    repo.write({ 'src/app.ts': "import { clamp } from './util';\nexport const level = clamp(3);\n" });
    const pushed = repo.commit('another level');
    repo.push();
    repo.checkout('main');
    const second = await resolver.resolve({ repository: 'demo', head: 'feature' }, support);
    expect(second.resolved.head.commit).toBe(pushed);
  });

  it('shares fetches: callers arriving while one runs wait for one more, together', async () => {
    const { git, mirrors } = build([{ name: 'demo', url: repo.url }]);
    const demo = { name: 'demo', url: repo.url };
    await mirrors.ready(demo);
    git.clear();
    await Promise.all([mirrors.fetch(demo), mirrors.fetch(demo), mirrors.fetch(demo), mirrors.fetch(demo)]);
    expect(git.count('fetch')).toBe(2);
  });

  it('refuses a ref that names nothing, and a base with no history in common (422 ref_not_found)', async () => {
    const { resolver } = build([{ name: 'demo', url: repo.url }]);
    const missing = await refusal(resolver.resolve({ repository: 'demo', head: 'no-such-branch', base: 'main' }, support));
    expect([missing.status, missing.code, missing.extras.errors?.[0]?.field]).toEqual([422, 'ref_not_found', 'source.head']);
    const unrelated = await refusal(resolver.resolve({ repository: 'demo', head: 'feature', base: 'unrelated' }, support));
    expect([unrelated.code, unrelated.detail]).toEqual(['ref_not_found', expect.stringContaining('share no history')]);
  });

  it('refuses a tree or a diff over the limits (413 source_too_large)', async () => {
    const files = await refusal(build([{ name: 'demo', url: repo.url }], sources({ maxFiles: 2 })).resolver.resolve({ repository: 'demo', head: 'feature', base: 'main' }, support));
    expect([files.status, files.code, files.detail]).toEqual([413, 'source_too_large', expect.stringContaining('sources.maxFiles')]);
    const diff = await refusal(build([{ name: 'demo', url: repo.url }], sources({ maxDiffBytes: 50 })).resolver.resolve({ repository: 'demo', head: 'feature', base: 'main' }, support));
    expect([diff.status, diff.code, diff.detail]).toEqual([413, 'source_too_large', expect.stringContaining('sources.maxDiffBytes')]);
  });

  it('refuses a broken configuration file at head with its line (400 invalid_repository_config)', async () => {
    const { resolver } = build([{ name: 'demo', url: repo.url }]);
    const err = await refusal(resolver.resolve({ repository: 'demo', head: 'broken-config', base: 'main' }, support));
    expect([err.status, err.code]).toEqual([400, 'invalid_repository_config']);
    expect(err.extras.errors).toEqual([{ field: '.ccp/review.yaml', message: expect.stringMatching(/^line 3: maxFindings: .*expected number/) }]);
    // the same commit read without the operation's config file is fine
    expect((await resolver.resolve({ repository: 'demo', head: 'broken-config', base: 'main' }, undefined)).resolved.config).toBeUndefined();
  });

  it('answers a host that fails with a 502 that names the repository, not its url', async () => {
    const { resolver } = build([{ name: 'gone', url: `file://${root}/no-such-repo.git` }]);
    const err = await refusal(resolver.resolve({ repository: 'gone', head: 'main' }, support));
    expect([err.status, err.code]).toEqual([502, 'repository_unavailable']);
    expect(err.detail).toContain('"gone"');
    expect(err.detail).not.toContain(root);
    expect(logs.lines.some((l) => l.repository === 'gone' && typeof l.stderr === 'string')).toBe(true);
  });
});
