import { chmod, mkdtemp, readdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWorkspace, isInside, prepareWorkspaceRoot } from './workspace';

describe('workspace', () => {
  it('holds only the given files and reports what changed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-ws-'));
    const ws = await createWorkspace(root, [{ path: 'src/a.ts', content: 'a' }, { path: '..b.ts', content: 'b' }]);
    expect((await readdir(ws.dir)).sort()).toEqual(['..b.ts', 'src']);
    expect(ws.configDir).not.toContain(ws.dir);
    await writeFile(join(ws.dir, 'src/a.test.ts'), 'test');
    await writeFile(join(ws.dir, '..b.ts'), 'changed');
    expect(await ws.changedFiles()).toEqual([{ path: '..b.ts', content: 'changed' }, { path: 'src/a.test.ts', content: 'test' }]);
    await ws.remove();
    expect(await readdir(root)).toEqual([]);
  });

  it('resets to the next call\'s files in the same folder, forgetting the earlier ones', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-ws-'));
    const ws = await createWorkspace(root, [{ path: 'src/a.ts', content: 'a' }]);
    await writeFile(join(ws.dir, 'written.md'), 'by the agent');
    await ws.reset([{ path: 'b.ts', content: 'b' }]);
    expect(await readdir(ws.dir)).toEqual(['b.ts']);
    expect(await ws.changedFiles()).toEqual([]);
    await expect(ws.reset([{ path: '../x', content: '' }])).rejects.toThrow(/refused workspace path/);
    await ws.reset([]);
    expect(await readdir(ws.dir)).toEqual([]);
    await ws.remove();
  });

  it("puts a repository tree in first, then the files, and a reset brings the next call's tree", async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-ws-'));
    const materialised: string[] = [];
    const materialiser = { materialise: async (tree: { commit: string }, dir: string) => void (materialised.push(tree.commit), await writeFile(join(dir, `${tree.commit}.ts`), tree.commit)) };
    const at = (commit: string) => ({ tree: { repository: 'r', gitDir: '/m.git', commit }, materialiser });
    const ws = await createWorkspace(root, [{ path: 'extra.md', content: 'x' }], undefined, at('c1'));
    expect((await readdir(ws.dir)).sort()).toEqual(['c1.ts', 'extra.md']);
    await ws.reset([], at('c2'));
    expect(await readdir(ws.dir)).toEqual(['c2.ts']);
    await ws.reset([]);
    expect(await readdir(ws.dir)).toEqual([]);
    expect(materialised).toEqual(['c1', 'c2']);
    await ws.remove();
  });

  it('refuses a path that escapes, and leaves nothing behind', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-ws-'));
    await expect(createWorkspace(root, [{ path: '../x', content: '' }])).rejects.toThrow(/refused workspace path/);
    expect(await readdir(root)).toEqual([]);
  });

  it('tells inside from outside', () => {
    expect(isInside('/w', 'a/b')).toBe(true);
    expect(isInside('/w', '/w/..b')).toBe(true);
    expect(isInside('/w', '../x')).toBe(false);
    expect(isInside('/w', '/etc/passwd')).toBe(false);
    expect(isInside('/w', '/w2/a')).toBe(false);
  });

  it('refuses a root that others can open or that is a symlink', async () => {
    const base = await mkdtemp(join(tmpdir(), 'ccp-root-'));
    await prepareWorkspaceRoot(join(base, 'fresh'));
    const open = join(base, 'open');
    await prepareWorkspaceRoot(open);
    await chmod(open, 0o777);
    await expect(prepareWorkspaceRoot(open)).rejects.toThrow(/open to other users/);
    await symlink(join(base, 'fresh'), join(base, 'link'));
    await expect(prepareWorkspaceRoot(join(base, 'link'))).rejects.toThrow(/not a plain directory/);
  });
});
