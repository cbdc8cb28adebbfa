// The sources section of scripts/bench.js: what a review of a repository costs before the
// agent starts, on a repository of BENCH_SOURCES_FILES files served by a file:// URL. Each
// round pushes a new commit, then measures the platform's way with its mirror warm (resolve:
// fetch, refs, tree size and the diff; materialise: read-tree + checkout-index into an empty
// workspace, then the tree guard) next to a fresh `git clone --depth 1` of the same
// repository, and `git archive | tar -x` from the mirror (the alternative the platform does
// not use). No network: everything is on this machine.
//
//   BENCH_SOURCES_FILES    files in the repository (default 10000)
//   BENCH_SOURCES_ROUNDS   new commits measured (default 5)
//   BENCH_SOURCES_DIR      where the mirror, the workspaces and the clones are made (default
//                          the temp dir; file creation dominates, so its file system decides)
'use strict';
const { execFile, spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { log, ms, pct } = require('./stats');

const root = join(__dirname, '../..');
const FILES = Number(process.env.BENCH_SOURCES_FILES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_SOURCES_ROUNDS ?? 5);
const DIR = process.env.BENCH_SOURCES_DIR || tmpdir();
const GIT_ENV = { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

const run = (file, args) => new Promise((resolve, reject) => execFile(file, args, { env: GIT_ENV, maxBuffer: 64 * 1024 * 1024 }, (err, out) => (err ? reject(err) : resolve(out))));

/** `git archive <commit> | tar -x -C dir`, two processes and a pipe, no shell. */
function archiveInto(gitDir, commit, dir) {
  return new Promise((resolve, reject) => {
    const archive = spawn('git', [`--git-dir=${gitDir}`, 'archive', '--format=tar', commit], { env: GIT_ENV, stdio: ['ignore', 'pipe', 'ignore'] });
    const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'ignore'] });
    archive.stdout.pipe(tar.stdin);
    archive.on('error', reject);
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar exited ${code}`))));
  });
}

/** The file system type a directory is on, as statfs(2) names it (tmpfs, ext4, overlay, …). */
function fsType(dir) {
  const names = { 0x01021994: 'tmpfs', 0xef53: 'ext2/3/4', 0x794c7630: 'overlay', 0x58465342: 'xfs', 0x9123683e: 'btrfs' };
  try {
    const { type } = require('node:fs').statfsSync(dir);
    return names[type] ?? `fs type 0x${type.toString(16)}`;
  } catch {
    return 'unknown file system';
  }
}

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** A source file of about 1 KiB. */
const fileText = (d, f) => `// module ${d}/${f}\n${Array.from({ length: 8 }, (_, i) => `export function f${d}_${f}_${i}(x: number): number {\n  return x * ${f} + ${d} - ${i};\n}\n`).join('')}`;

async function sourcesSection() {
  const { createTestRepository } = require(join(root, 'core/testing/dist'));
  const { ExecGitRunner, createLogger } = require(join(root, 'core/runtime/dist'));
  const { Mirrors } = require(join(root, 'core/runtime/dist/sources/mirrors'));
  const { SourceResolver } = require(join(root, 'core/runtime/dist/sources/source-resolver'));
  const { GitTreeMaterialiser } = require(join(root, 'core/runtime/dist/sources/materialiser'));
  const scratch = mkdtempSync(join(DIR, 'ccp-bench-sources-'));
  const repo = createTestRepository('bench');
  try {
    log(`sources: building a repository of ${FILES} files`);
    const dirs = Math.ceil(FILES / 100);
    const files = {};
    for (let n = 0; n < FILES; n++) files[`pkg${n % dirs}/src/m${Math.floor(n / dirs)}.ts`] = fileText(n % dirs, Math.floor(n / dirs));
    repo.write(files);
    let head = repo.commit('initial');
    repo.push();
    const logger = createLogger('silent');
    const git = new ExecGitRunner(process.env);
    const settings = { mirrorDir: join(scratch, 'mirrors'), fetchTimeoutMs: 300_000, maxFiles: FILES * 2, maxBytes: 2 ** 31, maxDiffBytes: 8 * 2 ** 20 };
    const repositories = [{ name: 'bench', url: repo.url }];
    const mirrors = new Mirrors(git, settings, {}, logger);
    const resolver = new SourceResolver(repositories, settings, mirrors, git);
    const materialiser = new GitTreeMaterialiser(git, 300_000, logger);
    const firstClone = await timed(() => mirrors.ready(repositories[0]));
    const rows = { resolve: [], materialise: [], archive: [], clone: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const base = head;
      repo.write(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`pkg${i}/src/m0.ts`, `${fileText(i, 0)}// round ${round}\n`])));
      head = repo.commit(`round ${round}`);
      repo.push();
      let tree;
      rows.resolve.push(await timed(async () => void ({ tree } = await resolver.resolve({ repository: 'bench', head: 'main', base }, undefined))));
      const ws = mkdtempSync(join(scratch, 'ws-'));
      const ar = mkdtempSync(join(scratch, 'ar-'));
      const cl = join(scratch, `clone-${round}`);
      const ways = [
        ['materialise', () => materialiser.materialise(tree, ws)],
        ['archive', () => archiveInto(tree.gitDir, head, ar)],
        ['clone', () => run('git', ['clone', '--quiet', '--depth', '1', '--no-tags', repo.url, cl])],
      ];
      // Each round starts with another way, so none always pays for the writeback of the one before.
      for (let i = 0; i < ways.length; i++) {
        const [name, way] = ways[(round + i) % ways.length];
        rows[name].push(await timed(way));
      }
      for (const d of [ws, ar, cl]) rmSync(d, { recursive: true, force: true });
      log(`sources: round ${round + 1}/${ROUNDS}: resolve ${ms(rows.resolve.at(-1))}, materialise ${ms(rows.materialise.at(-1))}, archive|tar ${ms(rows.archive.at(-1))}, clone --depth 1 ${ms(rows.clone.at(-1))}`);
    }
    const row = (label, xs) => `| ${label} | ${ms(pct(xs, 50))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} |`;
    const lines = [
      '## Repository sources',
      '',
      `A repository of ${FILES} files (about 1 KiB each) served by a \`file://\` URL; ${ROUNDS} rounds, each after a new commit of 10 changed files was pushed. The mirror was cloned once before the rounds (${ms(firstClone)}) and stays warm. Mirror, workspaces and clones on ${DIR} (${fsType(DIR)}).`,
      '',
      '| step | median | min | max |',
      '|---|---|---|---|',
      row('resolve with the mirror warm: fetch, refs, tree size, diff `base...head`', rows.resolve),
      row('materialise the new commit in a workspace: read-tree + checkout-index + tree guard (the platform)', rows.materialise),
      row('`git archive <commit> \\| tar -x` from the mirror (not used)', rows.archive),
      row('a fresh `git clone --depth 1` of the repository', rows.clone),
      '',
    ];
    const notes = ['- Repository sources: a call pays resolve + materialise before its `claude` starts; a fresh shallow clone pays the whole transfer every time, and leaves a `.git` in the directory.'];
    return { lines, notes };
  } finally {
    repo.remove();
    rmSync(scratch, { recursive: true, force: true });
  }
}

module.exports = { sourcesSection };
