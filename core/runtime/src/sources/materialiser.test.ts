import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestRepository, RecordingGitRunner, treeHashOf, type TestRepository } from '@ccp/testing';
import { LogCapture } from '@ccp/testing';
import { createLogger } from '../logging/logger';
import { GitTreeMaterialiser, guardTree } from './materialiser';
import { Mirrors } from './mirrors';

const settings = (root: string) => ({ mirrorDir: join(root, 'mirrors'), fetchTimeoutMs: 30_000 });

describe('materialising a commit from a mirror', () => {
  let repo: TestRepository;
  let root: string;
  let git: RecordingGitRunner;
  let gitDir: string;
  const logs = new LogCapture();
  const logger = createLogger('warn', { values: [], patterns: [] }, logs);
  beforeAll(async () => {
    repo = createTestRepository('exact');
    repo.write({
      'src/util.ts': 'export const clamp = (x: number) => Math.min(1, Math.max(0, x));\n',
      'bin/run.sh': '#!/bin/sh\necho run\n',
      // Attributes that would change bytes on checkout (or drop files from an archive) if obeyed.
      '.gitattributes': '*.txt text eol=crlf\nident.c ident\nsecret.md export-ignore\nsubst.md export-subst\n',
      'notes.txt': 'one\ntwo\n',
      'ident.c': '/* $Id$ */\n',
      'secret.md': 'still here\n',
      'subst.md': '$Format:%H$\n',
    });
    chmodSync(join(repo.dir, 'bin/run.sh'), 0o755);
    repo.symlink('docs/util-link.ts', '../src/util.ts');
    repo.commit('a tree that attributes would change');
    repo.push();
    root = mkdtempSync(join(tmpdir(), 'ccp-mat-'));
    git = new RecordingGitRunner();
    gitDir = (await new Mirrors(git, settings(root), {}, logger).ready({ name: 'exact', url: repo.url })).gitDir;
  });
  afterAll(() => {
    repo.remove();
    rmSync(root, { recursive: true, force: true });
  });

  it('holds the head tree exactly, with no .git, whatever the tree asks of git', async () => {
    const dir = mkdtempSync(join(root, 'ws-'));
    git.clear();
    await new GitTreeMaterialiser(git, 30_000, logger).materialise({ repository: 'exact', gitDir, commit: repo.rev('main') }, dir);
    expect(repo.git('ls-tree', 'main', 'bin/run.sh')).toMatch(/^100755 /);
    expect(treeHashOf(dir)).toBe(repo.git('rev-parse', 'main^{tree}'));
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('one\ntwo\n');
    expect(readFileSync(join(dir, 'subst.md'), 'utf8')).toBe('$Format:%H$\n');
    expect(existsSync(join(dir, '.git'))).toBe(false);
    expect(lstatSync(join(dir, 'docs/util-link.ts')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, 'bin/run.sh')).mode & 0o111).not.toBe(0);
    // the index lived beside the workspace, and is gone
    expect(readdirSync(root).filter((n) => n.startsWith('.tree-index'))).toEqual([]);
    expect(git.subcommands).toEqual(['read-tree', 'checkout-index']);
    expect(git.commands.every((c) => c.scheme === undefined)).toBe(true);
  });
});

describe('the tree guard', () => {
  it('removes symlinks that leave the tree (directly or through another link) and configuration a tool would obey', async () => {
    const repo = createTestRepository('hostile');
    try {
      repo.write({ 'ok.ts': 'x\n', '.claude/settings.json': '{"hooks":{}}\n', 'sub/.MCP.json': '{}\n', 'sub/keep.ts': 'y\n' });
      repo.symlink('etc', '/etc');
      repo.symlink('passwd', '../../../../../../../../etc/passwd');
      repo.symlink('sub/up', '..');
      repo.symlink('sub/escape', 'up/../etc'); // lexically sub/etc, really <root>/../etc
      repo.symlink('inside', 'sub/keep.ts');
      repo.symlink('nowhere', 'missing.ts');
      repo.commit('hostile');
      const dir = mkdtempSync(join(tmpdir(), 'ccp-guard-'));
      repo.git('--work-tree', dir, 'checkout', 'HEAD', '--', '.');
      const withheld = await guardTree(dir);
      expect(withheld.map((w) => w.path).sort()).toEqual(['.claude', 'etc', 'nowhere', 'passwd', 'sub/.MCP.json', 'sub/escape']);
      expect(readdirSync(dir).sort()).toEqual(['inside', 'ok.ts', 'sub']);
      expect(readdirSync(join(dir, 'sub')).sort()).toEqual(['keep.ts', 'up']);
      expect(withheld.find((w) => w.path === 'etc')?.reason).toBe('a symlink that leads out of the tree');
      rmSync(dir, { recursive: true, force: true });
    } finally {
      repo.remove();
    }
  });
});
