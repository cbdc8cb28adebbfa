import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../..');

// The real-latency and engines sections of `npm run bench` at a tiny size: one level of one
// review, two rounds, a 50 ms model; the commit-message rows with one call each. About 25 s.
describe('npm run bench, real-latency and engines sections (tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-bench-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the tables, the targets and two SVG charts', () => {
    const out = join(dir, 'benchmarks.md');
    const run = spawnSync(process.execPath, [join(root, 'scripts/bench.js')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
      env: {
        PATH: process.env.PATH,
        BENCH_SECTIONS: 'real,engines',
        BENCH_OUT: out,
        BENCH_REAL_LEVELS: '1',
        BENCH_REAL_ROUNDS: '2',
        BENCH_REAL_TARGET_LEVELS: '1,1',
        SIM_FIRST_BYTE_MS: '50',
        SIM_EVENT_MS: '2',
        BENCH_LATENCY: '1',
        BENCH_ENGINE_CALLS: '1',
        BENCH_ENGINE_CONCURRENCY: '1',
      },
    });
    expect(run.status).toBe(0);
    const doc = readFileSync(out, 'utf8');
    const rows = doc.split('\n').filter((l) => /^\| (platform \(shipped config\)|plain SDK script) \| 1 \| [12] \| /.test(l));
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row).toMatch(/^\| [^|]+ \| 1 \| [12] \| 1 \| 0 \| 0 \| [\d.]+ \| [\d.]+ \| \d+ ms \| \d+ ms \| \d+ MiB \| \d+ \| \d+ MiB \| [\d.]+ \|$/);
    // every target is checked at the stand-in levels: none is left "not measured"
    const verdicts = doc.split('\n').filter((l) => /^\| (default config|1 concurrent|second round|peak tree memory|commit-message on messages)/.test(l));
    expect(verdicts.slice(0, 5).every((l) => / \| (met|NOT met) \| /.test(l))).toBe(true);
    expect(doc).toMatch(/^\| engine: agent, cold, as commit-message ran on it \(Read and Grep, the diff as a file; pool off\) \| \d+ ms \| /m);
    expect(doc).toMatch(/^\| engine: agent, cold \(the new definition: no tools, the diff in the prompt; pool off\) \| \d+ ms \| /m);
    expect(doc).toMatch(/^\| engine: messages, shipped config \| (n\/a \(engine not available\)|\d+ ms) \|/m);
    for (const chart of ['real-latency-throughput.svg', 'real-latency-p95.svg']) {
      expect(doc).toContain(`](images/${chart})`);
      const svg = readFileSync(join(dir, 'images', chart), 'utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('concurrent review calls');
      expect(svg).toContain('model-bound ideal');
      expect(svg.trim().endsWith('</svg>')).toBe(true);
    }
    expect(run.stderr).toContain('targets:');
  }, 120_000);
});

// The sources section at a tiny size: a 200-file repository, two new commits.
describe('npm run bench, sources section (tiny)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-bench-sources-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('times materialising a new commit from the warm mirror next to a fresh shallow clone', () => {
    const out = join(dir, 'benchmarks.md');
    const run = spawnSync(process.execPath, [join(root, 'scripts/bench.js')], {
      cwd: root,
      encoding: 'utf8',
      timeout: 110_000,
      env: { PATH: process.env.PATH, BENCH_SECTIONS: 'sources', BENCH_OUT: out, BENCH_SOURCES_FILES: '200', BENCH_SOURCES_ROUNDS: '2', BENCH_SOURCES_DIR: dir },
    });
    expect(run.status).toBe(0);
    const doc = readFileSync(out, 'utf8');
    expect(doc).toContain('## Repository sources');
    expect(doc).toMatch(/^A repository of 200 files .* 2 rounds/m);
    for (const step of ['resolve with the mirror warm', 'materialise the new commit in a workspace', '`git archive <commit> \\| tar -x`', 'a fresh `git clone --depth 1`']) {
      expect(doc.split('\n').some((l) => l.startsWith(`| ${step}`) && /\| \d+ ms \| \d+ ms \| \d+ ms \|$/.test(l))).toBe(true);
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('ccp-bench-sources-'))).toEqual([]);
  }, 120_000);
});
