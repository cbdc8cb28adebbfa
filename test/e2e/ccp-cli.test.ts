import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestRuntime, testKey, type TestRuntime } from '@ccp/testing';
import { recipeCommands, words } from '../ci-recipes';

// `ccp review --local` as a pipeline runs it: a real git checkout made here, the command's
// own process, the platform with the real CLI against the simulator (its answer scripted).
// Exit 1 with a high finding at --fail-on high, 0 without one, 2 on a bad key with the
// problem on stderr; the report is written in the format asked for.

const CCP = join(__dirname, '../../packages/cli/bin/ccp.js');
const SUM = 'export function sum(xs: number[]) {\n  let t = 0;\n  for (let i = 0; i < xs.length; i++) t += xs[i];\n  return t;\n}\n';
const SUM_V2 = SUM.replace('i < xs.length', 'i <= xs.length');

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ci', '-c', 'user.email=ci@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
}

/** A checkout with main and a feature branch that breaks sum's loop bound; util.ts is a neighbour the diff does not touch. */
function checkout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-cli-repo-'));
  git(dir, 'init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/sum.ts'), SUM);
  writeFileSync(join(dir, 'src/util.ts'), 'export const id = <T>(x: T) => x;\n');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'sum');
  git(dir, 'checkout', '-q', '-b', 'feature');
  writeFileSync(join(dir, 'src/sum.ts'), SUM_V2);
  git(dir, 'commit', '-q', '-am', 'loop to the end');
  return dir;
}

function ccp(cwd: string, env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CCP, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('ccp review --local (the command for pipelines)', () => {
  let rt: TestRuntime;
  let repo: string;
  const ci = testKey('ci');
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { auth: { enabled: true, keys: [ci.entry] }, cache: { enabled: false } } });
    repo = checkout();
  });
  afterAll(async () => {
    await rt.close();
    rmSync(repo, { recursive: true, force: true });
  });
  beforeEach(() => rt.simulator.reset());

  const answer = (severity: string) =>
    rt.simulator.enqueue({
      blocks: [
        { type: 'text', text: 'I read the diff and sum.ts.' },
        {
          type: 'tool_use',
          name: 'StructuredOutput',
          input: {
            summary: 'The loop reads past the end.',
            findings: [{ file: 'src/sum.ts', line: 3, severity, category: 'correctness', ruleId: 'correctness/off-by-one', message: 'i <= xs.length reads xs[xs.length]', suggestion: 'Loop while i < xs.length.' }],
            filesReviewed: ['review.diff', 'src/sum.ts'],
          },
        },
      ],
    });
  const env = (key = ci.key) => ({ CCP_URL: rt.url, CCP_KEY: key });

  it('exits 1 with a high finding at --fail-on high, and writes a SARIF report', async () => {
    answer('high');
    const out = join(repo, 'review.sarif');
    const run = await ccp(repo, env(), 'review', '--local', '--base', 'main', '--head', 'feature', '--format', 'sarif', '--output', out, '--fail-on', 'high');
    expect(run.stderr).toContain('1 at or above high');
    expect(run.code).toBe(1);
    const sarif = JSON.parse(readFileSync(out, 'utf8')) as { version: string; runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.map((r) => [r.ruleId, r.level, r.locations[0]?.physicalLocation.artifactLocation.uri, r.locations[0]?.physicalLocation.region.startLine])).toEqual([['correctness/off-by-one', 'error', 'src/sum.ts', 3]]);
    // The model was sent the diff and, to read, the changed file and its neighbour.
    const sent = JSON.stringify(rt.simulator.messageRequests()[0]?.body);
    expect(sent).toContain('review.diff');
    expect(sent).toContain('src/util.ts');
  });

  it('exits 0 when nothing is at or above --fail-on, with the report on stdout', async () => {
    answer('low');
    const run = await ccp(repo, env(), 'review', '--base', 'main', '--head', 'feature', '--format', 'markdown', '--fail-on', 'high', '--quiet');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('src/sum.ts');
    expect(run.stderr).toBe('');
  });

  it("runs deploy/ci/review.sh's command line: one review, both reports, exit 1 on a high finding", async () => {
    answer('high');
    const [line] = recipeCommands()['review.sh'] ?? [];
    const args = words(line ?? '').slice(1).map((w) => (w === '$BASE' ? 'main' : w));
    const run = await ccp(repo, env(), ...args);
    expect(run.code).toBe(1);
    expect(readFileSync(join(repo, 'ccp-review.md'), 'utf8')).toContain('src/sum.ts');
    expect(JSON.parse(readFileSync(join(repo, 'ccp-review.sarif'), 'utf8')).version).toBe('2.1.0');
    expect(rt.simulator.messageRequests().filter((r) => JSON.stringify(r.body).includes('review.diff'))).toHaveLength(1);
  });

  it('exits 2 on a bad key, with the problem on stderr', async () => {
    const run = await ccp(repo, env('ccp_not_a_key_0000000000000000000000'), 'review', '--local', '--base', 'main', '--head', 'feature', '--fail-on', 'high');
    expect([run.code, run.stderr]).toEqual([2, expect.stringMatching(/401 unauthenticated/)]);
    expect(rt.simulator.messageRequests()).toHaveLength(0);
  });
});
