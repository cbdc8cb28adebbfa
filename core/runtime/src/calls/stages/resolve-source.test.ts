import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRepository, FakeEngine, RecordingGitRunner, unitRuntime, type TestRepository } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../../composition-root';
import { ClaudeError, type ClaudeRequest } from '../../engine/types';
import type { SourceResolver } from '../../sources/source-resolver';
import { GIT_RUNNER, override } from '../../tokens';
import type { CallContext } from '../context';
import { resolveSourceStage } from './resolve-source';

const finding = (file: string, severity: string, line = 1) => ({ file, line, severity, category: 'correctness', ruleId: 'correctness/logic-error', message: `m ${severity}`, suggestion: 's' });

// The whole pipeline with a fake engine and real git against a repository the test builds.
describe('a call with a repository source', () => {
  let repo: TestRepository;
  let root: string;
  let runtime: Runtime;
  const git = new RecordingGitRunner();
  const engine = new FakeEngine({ output: { summary: 's', findings: [], filesReviewed: ['src/app.ts'] } });
  const post = (body: unknown, path = '/v1/plugins/code-review/review') => request(runtime.app).post(path).send(body as object);

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ccp-stage-'));
    repo = createTestRepository('demo');
    repo.write({ 'src/util.ts': 'export function clamp(x: number) {\n  return Math.min(1, Math.max(0, x));\n}\n', 'src/app.ts': 'export const level = 2;\n', 'docs/guide.md': '# Guide\n' });
    repo.commit('initial');
    repo.checkout('feature', true);
    repo.write({ 'src/app.ts': "import { clamp } from './util';\nexport const level = clamp(2);\n", 'docs/guide.md': '# Guide\n\nClamped.\n', '.ccp/review.yaml': 'exclude: [docs/**]\nminSeverity: medium\ninstructions:\n  - path: src/**\n    text: Check the bounds.\n' });
    repo.commit('clamp the level');
    repo.checkout('broken', true);
    repo.write({ '.ccp/review.yaml': 'exclude: [docs/**]\nminSeverity: urgent\n' });
    repo.commit('break the config');
    repo.checkout('main');
    repo.push();
    runtime = await unitRuntime(engine, {
      config: { auth: { enabled: false }, repositories: [{ name: 'demo', url: repo.url }], sources: { mirrorDir: join(root, 'mirrors') }, claude: { workspaceRoot: join(root, 'ws') } },
      overrides: [override(GIT_RUNNER, git)],
    });
  });
  afterAll(async () => {
    await runtime.dispose();
    repo.remove();
    rmSync(root, { recursive: true, force: true });
  });
  beforeEach(() => git.clear());

  it('refuses a repository that is not configured with a 400 naming the field, before any git command runs', async () => {
    const res = await post({ source: { repository: 'elsewhere', head: 'main' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_input', errors: [{ field: 'source.repository', message: 'is not a repository this deployment is configured to read' }] });
    expect(git.commands).toEqual([]);
    const job = await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: { source: { repository: 'elsewhere', head: 'main' } } });
    expect(job.status).toBe(400);
    expect(git.commands).toEqual([]);
  });

  it('hands the engine the head tree and the prompt the diff; the configuration at head filters files and findings', async () => {
    engine.script({ output: { summary: 's', findings: [finding('src/app.ts', 'low'), finding('src/app.ts', 'high', 2), finding('docs/guide.md', 'critical'), finding('src/util.ts', 'medium')], filesReviewed: ['src/app.ts'] } });
    const res = await post({ source: { repository: 'demo', head: 'feature', base: 'main' } });
    expect(res.status).toBe(200);
    const sent = engine.requests.at(-1) as ClaudeRequest;
    expect(sent.tree).toEqual({ repository: 'demo', gitDir: expect.any(String), commit: repo.rev('feature') });
    expect(sent.files).toEqual([]);
    expect(sent.prompt).toContain("+import { clamp } from './util';");
    expect(sent.prompt).toContain('- src/app.ts (modified)');
    expect(sent.prompt).not.toContain('Clamped.'); // docs/** is excluded: its diff is not in the prompt
    expect(sent.prompt).toContain('- src/** (src/app.ts): Check the bounds.');
    expect(sent.prompt).toContain('Report only findings of severity medium or higher.');
    expect(res.body.result).toMatchObject({
      findings: [finding('src/app.ts', 'high', 2), finding('src/util.ts', 'medium')],
      findingsOmitted: 2,
      filesFiltered: [{ path: 'docs/guide.md', reason: 'excluded by "docs/**" in .ccp/review.yaml' }],
      filesNotReviewed: ['.ccp/review.yaml'],
      source: { repository: 'demo', head: repo.rev('feature'), base: repo.rev('main'), mergeBase: repo.rev('main') },
    });
  });

  it("lays the request's config over the file's, key by key", async () => {
    engine.script({ output: { summary: 's', findings: [finding('src/app.ts', 'low'), finding('src/app.ts', 'high', 2), finding('docs/guide.md', 'info')], filesReviewed: ['src/app.ts'] } });
    const res = await post({ source: { repository: 'demo', head: 'feature', base: 'main' }, config: { minSeverity: 'info', include: ['src/**', '.ccp/**'] } });
    expect(res.status).toBe(200);
    expect(res.body.result.findings.map((f: { severity: string }) => f.severity)).toEqual(['low', 'high']);
    expect(res.body.result.filesFiltered).toEqual([{ path: 'docs/guide.md', reason: "matches no include pattern (src/**, .ccp/**) of the request's config" }]);
  });

  it('keys the response cache on the commits, not the refs', async () => {
    const body = { source: { repository: 'demo', head: 'feature', base: 'main' }, focus: ['security'] };
    const calls = engine.requests.length;
    expect((await post(body)).headers['x-cache']).toBe('miss');
    expect((await post(body)).headers['x-cache']).toBe('hit');
    expect(engine.requests.length).toBe(calls + 1);
    repo.checkout('feature');
    repo.write({ 'src/app.ts': "import { clamp } from './util';\nexport const level = clamp(9);\n" });
    repo.commit('move the branch');
    repo.push();
    repo.checkout('main');
    expect((await post(body)).headers['x-cache']).toBe('miss');
    expect(engine.requests.length).toBe(calls + 2);
  });

  it('refuses a broken configuration at head with its line, before the engine or any reservation', async () => {
    const calls = engine.requests.length;
    const res = await post({ source: { repository: 'demo', head: 'broken', base: 'main' } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_repository_config', errors: [{ field: '.ccp/review.yaml', message: expect.stringMatching(/^line 2: minSeverity: /) }] });
    expect(engine.requests.length).toBe(calls);
  });

  it('refuses config without a source, and a session that starts from a source', async () => {
    const res = await post({ files: [{ path: 'a.ts', content: 'x' }], config: { maxFindings: 1 } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'config', message: 'applies to a repository review only: give "source" with it' }]);
    const session = await request(runtime.app).post('/v1/plugins/code-review/sessions').send({ operation: 'review', input: { source: { repository: 'demo', head: 'feature' } } });
    expect(session.status).toBe(400);
    expect(session.body.errors).toEqual([{ field: 'input.source', message: 'not supported in a session' }]);
  });
});

describe('the resolve-source stage', () => {
  it('stops waiting for a fetch when the call is aborted (the caller went away, or a drain)', async () => {
    const never = { resolve: () => new Promise(() => undefined) } as unknown as SourceResolver;
    const controller = new AbortController();
    const ctx = { call: { source: { repository: 'demo', head: 'main' } }, operation: { definition: { source: {} } }, signal: controller.signal } as unknown as CallContext;
    const waiting = resolveSourceStage(never)(ctx, () => Promise.reject(new Error('not reached')));
    controller.abort(new ClaudeError('shutting_down', 'draining'));
    await expect(waiting).rejects.toMatchObject({ kind: 'shutting_down' });
  });
});
