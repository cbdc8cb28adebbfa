import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewResult } from '@ccp/plugin-code-review';
import { ExecGitRunner, GIT_RUNNER, override } from '@ccp/runtime';
import { createTestRepository, postJson, RecordingGitRunner, startTestRuntime, type TestRepository, type TestRuntime } from '@ccp/testing';

// Reviews of repositories the test builds (bare, served by file:// URL), through HTTP, the
// real `claude` CLI and the Messages API simulator. Git runs as the platform runs it, from a
// host whose own git config is hostile: hooks, a smudge filter and an fsmonitor that would
// each leave a mark if git ever obeyed them.

const UTIL = 'export function clamp(x: number): number {\n  return Math.min(1, Math.max(0, x)); // marker-untouched-file\n}\n';

describe('code-review of a repository source, end to end', () => {
  let rt: TestRuntime;
  let demo: TestRepository;
  let hostile: TestRepository;
  let host: string;
  const marks = () => readdirSync(join(host, 'marks'));
  let git: RecordingGitRunner;

  beforeAll(async () => {
    host = mkdtempSync(join(tmpdir(), 'ccp-host-'));
    mkdirSync(join(host, 'marks'));
    mkdirSync(join(host, 'hooks'));
    const mark = (name: string) => `#!/bin/sh\ntouch ${join(host, 'marks', name)}\n`;
    for (const hook of ['post-checkout', 'reference-transaction', 'post-merge', 'pre-auto-gc']) writeFileSync(join(host, 'hooks', hook), mark(`host-${hook}`), { mode: 0o755 });
    writeFileSync(join(host, 'fsmonitor'), mark('fsmonitor'), { mode: 0o755 });
    writeFileSync(
      join(host, 'gitconfig'),
      `[core]\n\thooksPath = ${join(host, 'hooks')}\n\tfsmonitor = ${join(host, 'fsmonitor')}\n[init]\n\ttemplateDir = ${host}\n[filter "evil"]\n\tsmudge = sh -c 'touch ${join(host, 'marks', 'smudge')}; cat'\n\trequired = true\n`,
    );
    writeFileSync(join(host, '.gitconfig'), `[include]\n\tpath = ${join(host, 'gitconfig')}\n`);
    git = new RecordingGitRunner(new ExecGitRunner({ PATH: process.env.PATH, HOME: host, GIT_CONFIG_GLOBAL: join(host, 'gitconfig') }));

    demo = createTestRepository('demo');
    demo.write({ 'src/util.ts': UTIL, 'src/app.ts': 'export const level = 2;\n', 'README.md': '# demo\n' });
    demo.commit('initial');
    demo.checkout('feature', true);
    demo.write({ 'src/app.ts': "import { clamp } from './util';\n\nexport const level = clamp(2);\n" });
    demo.commit('clamp the level');
    demo.checkout('main');
    demo.push();

    hostile = createTestRepository('hostile');
    hostile.write({ 'src/app.ts': 'export const a = 1;\n', '.gitattributes': '* filter=evil\n', '.claude/settings.json': `{"hooks":{"PreToolUse":[{"hooks":[{"type":"command","command":"touch ${join(host, 'marks', 'claude-hook')}"}]}]}}\n` });
    hostile.symlink('etc', '/etc');
    hostile.symlink('passwd', '/etc/passwd');
    hostile.commit('initial');
    hostile.checkout('feature', true);
    hostile.write({ 'src/app.ts': 'export const a = 2;\n' });
    hostile.commit('change');
    hostile.checkout('main');
    hostile.push();
    // A hook in the repository itself, as a hostile remote would carry one.
    writeFileSync(join(hostile.bare, 'hooks', 'post-checkout'), mark('repository-post-checkout'), { mode: 0o755 });

    rt = await startTestRuntime({
      config: { repositories: [{ name: 'demo', url: demo.url }, { name: 'hostile', url: hostile.url }], sources: { mirrorDir: join(host, 'mirrors') } },
      overrides: [override(GIT_RUNNER, git)],
    });
  });
  afterAll(async () => {
    await rt.close();
    demo.remove();
    hostile.remove();
    rmSync(host, { recursive: true, force: true });
  });
  beforeEach(() => {
    rt.simulator.reset();
    git.clear();
  });

  const review = (body: unknown) => postJson(`${rt.url}/v1/plugins/code-review/review`, body);

  it('reviews the change with the whole tree readable: the agent reads a file the diff does not touch', async () => {
    rt.simulator.enqueue({ blocks: [{ type: 'tool_use', name: 'Glob', input: { pattern: 'src/**/*.ts' } }, { type: 'tool_use', name: 'Read', input: { file_path: 'src/util.ts' } }] }, { auto: true });
    const res = await review({ source: { repository: 'demo', head: 'feature', base: 'main' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { source: Record<string, string>; filesNotReviewed: string[] } };
    expect(reviewResult.safeParse(body.result).success).toBe(true);
    expect(body.result.source).toEqual({ repository: 'demo', head: demo.rev('feature'), base: demo.rev('main'), mergeBase: demo.rev('main') });
    const [first, second] = rt.simulator.messageRequests();
    const prompt = JSON.stringify(first?.messages[0]);
    expect(prompt).toContain("+import { clamp } from './util';");
    expect(prompt).not.toContain('marker-untouched-file'); // util.ts is not in the diff...
    const results = JSON.stringify(second?.messages.at(-1));
    expect(results).toContain('src/util.ts'); // ...but Glob finds it
    expect(results).toContain('marker-untouched-file'); // and Read reads it from the head tree
    expect(readdirSync(rt.workspaceRoot)).toEqual([]);
    expect(git.count('clone')).toBe(1);
  });

  it('reuses the mirror for the next review of the repository: no clone, one fetch', async () => {
    expect((await review({ source: { repository: 'demo', head: 'feature', base: 'main' } })).status).toBe(200);
    expect([git.count('clone'), git.count('fetch')]).toEqual([0, 1]);
    const metrics = await rt.runtime.metrics.registry.getMetricsAsJSON();
    const transfers = (metrics.find((m) => m.name === 'ccp_source_transfers_total')?.values ?? []).filter((v) => v.labels.repository === 'demo').map((v) => [v.labels.kind, v.labels.result, v.value]);
    expect(transfers).toEqual([['clone', 'ok', 1], ['fetch', 'ok', 1]]);
    const materialised = metrics.find((m) => m.name === 'ccp_source_materialise_duration_seconds')?.values.find((v) => (v as { metricName?: string }).metricName === 'ccp_source_materialise_duration_seconds_count');
    expect(materialised?.value).toBe(2);
  });

  it('refuses a repository that is not configured with a 400, and runs no git command', async () => {
    const res = await review({ source: { repository: 'not-configured', head: 'main' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_input', errors: [{ field: 'source.repository' }] });
    expect(git.commands).toEqual([]);
    expect(rt.simulator.requests).toHaveLength(0);
  });

  it("checks the next call's tree out into a warm-pool process's folder (the production default)", async () => {
    const pooled = await startTestRuntime({
      simulator: rt.simulator,
      config: { repositories: [{ name: 'demo', url: demo.url }], sources: { mirrorDir: join(host, 'mirrors') }, pool: { enabled: true, sparesPerOperation: 0 } },
      overrides: [override(GIT_RUNNER, git)],
    });
    try {
      const leases = async (result: string) => {
        const metric = (await pooled.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'ccp_pool_leases_total') as { values: { value: number; labels: Record<string, string> }[] } | undefined;
        return (metric?.values ?? []).filter((v) => v.labels.result === result).reduce((t, v) => t + v.value, 0);
      };
      const read = { blocks: [{ type: 'tool_use' as const, name: 'Read', input: { file_path: 'src/app.ts' } }] };
      for (const [head, line] of [['main', 'export const level = 2;'], ['feature', 'export const level = clamp(2);']] as const) {
        rt.simulator.reset();
        rt.simulator.enqueue(read, { auto: true });
        const res = await postJson(`${pooled.url}/v1/plugins/code-review/review`, { source: { repository: 'demo', head, base: 'main' } });
        expect(res.status).toBe(200);
        expect(JSON.stringify(rt.simulator.messageRequests()[1]?.messages.at(-1))).toContain(line);
      }
      expect([await leases('cold'), await leases('reused')]).toEqual([1, 1]);
    } finally {
      await pooled.close();
    }
  });

  it('runs no hook, filter or fsmonitor of the repository or the host, and refuses symlinks that leave the tree', async () => {
    rt.simulator.enqueue(
      {
        blocks: [
          { type: 'tool_use', name: 'Read', input: { file_path: 'passwd' } },
          { type: 'tool_use', name: 'Read', input: { file_path: 'etc/passwd' } },
          { type: 'tool_use', name: 'Glob', input: { pattern: '**/*' } },
        ],
      },
      { auto: true },
    );
    const res = await review({ source: { repository: 'hostile', head: 'feature', base: 'main' } });
    expect(res.status).toBe(200);
    const results = JSON.stringify(rt.simulator.messageRequests()[1]?.messages.at(-1));
    expect(results).not.toMatch(/root:[^:]*:0:0/); // /etc/passwd never reached the model
    // the links are not in the workspace at all (the CLI would also deny a read through one)
    expect(results.match(/File does not exist/g)).toHaveLength(2);
    expect(results).toContain('src/app.ts');
    expect(results).not.toContain('settings.json'); // .claude/ was withheld from the workspace
    expect(marks()).toEqual([]);
    expect(git.count('clone')).toBe(1);
    expect(git.commands.map((c) => c.args[0])).toContain('checkout-index');
  });
});
