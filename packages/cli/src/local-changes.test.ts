import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLocalChange } from './local-changes';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });

describe('readLocalChange', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccp-local-'));
    git(dir, 'init', '-q', '-b', 'main');
    mkdirSync(join(dir, 'src/deep'), { recursive: true });
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'src/b.ts'), 'export const b = 2;\n');
    writeFileSync(join(dir, 'src/deep/c.ts'), 'export const c = 3;\n');
    writeFileSync(join(dir, 'src/logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]));
    writeFileSync(join(dir, 'README.md'), '# r\n');
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'one');
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 10;\n');
    writeFileSync(join(dir, 'src/logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 9]));
    git(dir, 'commit', '-q', '-am', 'two');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends the diff, the changed files at head and their neighbours (files of the same directory only)', async () => {
    const change = await readLocalChange(dir, 'HEAD~1', 'HEAD');
    expect(change.diff).toContain('+export const a = 10;');
    expect(change.context.map((f) => f.path)).toEqual(['src/a.ts', 'src/b.ts']);
    expect(change.context[0]?.content).toBe('export const a = 10;\n');
    expect(change.skipped).toEqual([{ path: 'src/logo.png', reason: 'not a text file at head' }]);
  });

  it('says so when there is nothing to review', async () => {
    await expect(readLocalChange(dir, 'HEAD', 'HEAD')).rejects.toThrow('no change between HEAD and HEAD');
  });
});
