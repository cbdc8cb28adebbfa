import { randomUUID } from 'node:crypto';
import { readdir, realpath, rm, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Logger } from '@ccp/plugin-api';
import { isInside } from '../engine/agent-sdk/process/workspace';
import type { TreeMaterialiser, WorkspaceTree } from '../engine/types';
import type { Metrics } from '../metrics/metrics';
import type { GitRunner } from './git-runner';

/**
 * Names a tree may hold that are withheld from the workspace, at any depth and in any
 * letter case (with the trailing dots and spaces some file systems ignore): configuration
 * Claude Code would obey (`.claude/`, `.mcp.json`), and git metadata (git refuses `.git`
 * in a tree; this is the second line).
 */
const WITHHELD_NAME = /^\.(?:claude|mcp\.json|git)[. ]*$/i;

/** What the guard took out of a materialised tree, and why. */
export interface Withheld {
  readonly path: string;
  readonly reason: string;
}

/**
 * The workspace guard for a materialised tree, the authority on what stays: every symlink
 * is resolved on disk (so a chain of links inside the tree is followed to its end) and
 * removed when it leads outside the tree or nowhere; withheld names are removed. The tree
 * is read-only by policy, not by file mode: only plugins whose tools all only read may
 * take a source (checked when a plugin is defined), and a chmod of every file would cost
 * more than the checkout itself on a large tree (scripts/bench/sources.js).
 */
export async function guardTree(dir: string): Promise<Withheld[]> {
  const root = await realpath(dir);
  const withheld: Withheld[] = [];
  const links: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const full = join(at, entry.name);
      if (WITHHELD_NAME.test(entry.name)) {
        await rm(full, { recursive: true, force: true });
        withheld.push({ path: rel(dir, full), reason: 'configuration a tool would obey' });
      } else if (entry.isSymbolicLink()) links.push(full);
      else if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(dir);
  for (const link of links) {
    const target = await realpath(link).catch(() => undefined);
    if (target !== undefined && isInside(root, target)) continue;
    await unlink(link);
    withheld.push({ path: rel(dir, link), reason: target === undefined ? 'a symlink that leads nowhere' : 'a symlink that leads out of the tree' });
  }
  return withheld;
}

const rel = (dir: string, full: string) => relative(dir, full).split(sep).join('/');

/**
 * Checks a commit out of a bare mirror into a workspace directory: `read-tree` into an
 * index file of its own beside the directory, then `checkout-index`, so no `.git` is ever
 * inside the workspace, no hook runs (checkout-index has none, and hooks are switched off
 * anyway), and the mirror's attributes keep every byte as committed. Then the tree guard
 * (see {@link guardTree}). Faster than `git archive | tar -x` (scripts/bench/sources.js).
 */
export class GitTreeMaterialiser implements TreeMaterialiser {
  constructor(
    private readonly git: GitRunner,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly metrics?: Pick<Metrics, 'treeMaterialiseDuration'>,
  ) {}

  async materialise(tree: WorkspaceTree, dir: string): Promise<void> {
    const started = performance.now();
    const index = join(dirname(dir), `.tree-index-${randomUUID()}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await this.git.run({ args: ['read-tree', '--end-of-options', tree.commit], gitDir: tree.gitDir, env, timeoutMs: this.timeoutMs });
      await this.git.run({ args: ['checkout-index', '--all'], gitDir: tree.gitDir, workTree: dir, env, timeoutMs: this.timeoutMs });
    } finally {
      await rm(index, { force: true });
    }
    const withheld = await guardTree(dir);
    this.metrics?.treeMaterialiseDuration.observe((performance.now() - started) / 1000);
    if (withheld.length > 0) this.logger.warn({ repository: tree.repository, commit: tree.commit, withheld: withheld.slice(0, 20), count: withheld.length }, 'paths of a repository tree were withheld from the workspace');
  }
}
