import { InputError, type ChangedFile, type RepositorySource, type ResolvedSource, type SourceSupport } from '@ccp/plugin-api';
import { LRUCache } from 'lru-cache';
import type { ZodType } from 'zod';
import type { PlatformConfig, RepositoryConfig } from '../config/schema';
import type { WorkspaceTree } from '../engine/types';
import { CONFIG_FILE_MAX_BYTES, parseConfigFile } from './config-file';
import { changedFiles } from './diff';
import { GitFailure, type GitRunner } from './git-runner';
import type { Mirrors } from './mirrors';

/** A call's source as the pipeline carries it: what `prepare` sees, and the tree the engine checks out. */
export interface CallSource {
  readonly resolved: ResolvedSource;
  readonly tree: WorkspaceTree;
}

/** Local git commands (no network) must finish in this time. */
const LOCAL_TIMEOUT_MS = 60_000;
/** Largest `ls-tree` listing read (about 400,000 paths). */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;
/** Memory the resolved diffs kept for reuse may take. */
const CHANGE_CACHE_BYTES = 64 * 1024 * 1024;

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

interface TreeStats {
  readonly files: number;
  readonly bytes: number;
  /** The configuration file's entry, when the tree has one at the asked path. */
  readonly config?: { readonly mode: string; readonly type: string; readonly oid: string; readonly size: number };
}

interface Change {
  readonly mergeBase: string;
  readonly changedFiles: readonly ChangedFile[];
}

const refNotFound = (field: string, detail: string) => new InputError('ref_not_found', detail, { errors: [{ field, message: 'names no commit in the repository' }] });

/**
 * Resolves a call's `source` against the repository's mirror: refs to commits (fetching
 * first unless both are commit SHAs the mirror already has), the merge base, the head
 * tree's size against the limits, the diff `base...head` (computed here, never taken from
 * the caller), and the operation's configuration file at head. What depends only on commits
 * (tree sizes, diffs, configuration files) is kept for reuse, since a commit never changes.
 */
export class SourceResolver {
  private readonly repositories: ReadonlyMap<string, RepositoryConfig>;
  private readonly trees = new LRUCache<string, TreeStats>({ max: 1000 });
  private readonly changes = new LRUCache<string, Change>({ maxSize: CHANGE_CACHE_BYTES, sizeCalculation: (c) => Math.max(1, c.changedFiles.reduce((n, f) => n + f.diff.length + f.path.length, 0)) });
  /** Validated configuration files by blob (a blob never changes), per schema. */
  private readonly configs = new WeakMap<ZodType, LRUCache<string, { value: unknown }>>();

  constructor(
    repositories: readonly RepositoryConfig[],
    private readonly settings: PlatformConfig['sources'],
    private readonly mirrors: Mirrors,
    private readonly git: GitRunner,
  ) {
    this.repositories = new Map(repositories.map((r) => [r.name, r]));
  }

  /** Whether `name` is a configured repository. */
  has(name: string): boolean {
    return this.repositories.has(name);
  }

  async resolve(source: RepositorySource, support: SourceSupport | undefined): Promise<CallSource> {
    const repo = this.repositories.get(source.repository);
    if (!repo) throw new InputError('invalid_input', `No repository "${source.repository}" is configured on this deployment.`, { errors: [{ field: 'source.repository', message: 'is not a configured repository' }] });
    const baseRef = source.base ?? repo.defaultBranch ?? 'HEAD';
    const refs = [source.head, baseRef];
    const { gitDir, cloned } = await this.mirrors.ready(repo);
    // Commit SHAs the mirror already has name the same commits after any fetch: no need to ask the host.
    let commits = !cloned && refs.every((r) => FULL_SHA.test(r)) ? await this.commits(gitDir, refs) : undefined;
    if (!commits || commits.some((c) => c === undefined)) {
      if (!cloned) await this.mirrors.fetch(repo);
      commits = await this.commits(gitDir, refs);
    }
    const [head, base] = commits;
    if (!head) throw refNotFound('source.head', `The repository "${repo.name}" has no commit "${source.head}" (source.head). Push it, or name a branch, tag or commit SHA that exists.`);
    if (!base) {
      const field = source.base ? 'source.base' : 'source.repository';
      throw refNotFound(field, source.base ? `The repository "${repo.name}" has no commit "${source.base}" (source.base).` : `The default branch of the repository "${repo.name}" (${baseRef}) names no commit; give source.base.`);
    }
    const configPath = support?.configFile?.path;
    const [tree, change] = await Promise.all([this.tree(gitDir, head, configPath), this.change(gitDir, base, head, repo.name)]);
    if (tree.files > this.settings.maxFiles || tree.bytes > this.settings.maxBytes) {
      throw new InputError('source_too_large', `The tree of "${repo.name}" at ${head.slice(0, 12)} holds ${tree.files} files and ${tree.bytes} bytes; this deployment takes at most ${this.settings.maxFiles} files and ${this.settings.maxBytes} bytes (sources.maxFiles, sources.maxBytes). Ask an operator to raise the limits.`);
    }
    const config = support?.configFile && configPath ? await this.config(gitDir, head, tree, configPath, support.configFile.schema) : undefined;
    return {
      resolved: {
        repository: repo.name,
        head: { ref: source.head, commit: head },
        base: { ref: baseRef, commit: base },
        mergeBase: change.mergeBase,
        changedFiles: change.changedFiles,
        ...(config !== undefined ? { config } : {}),
      },
      tree: { repository: repo.name, gitDir, commit: head },
    };
  }

  /** The commit each ref names (tags peeled), or undefined where it names none, in one git call. */
  private async commits(gitDir: string, refs: readonly string[]): Promise<(string | undefined)[]> {
    const out = await this.local(gitDir, ['cat-file', '--batch-check'], refs.map((r) => `${r}^{commit}\n`).join(''));
    const lines = out.toString('utf8').split('\n');
    return refs.map((_, i) => /^([0-9a-f]{40,64}) commit \d+$/.exec(lines[i] ?? '')?.[1]);
  }

  /** Files and bytes of the head tree, and the entry at `configPath`. */
  private async tree(gitDir: string, commit: string, configPath: string | undefined): Promise<TreeStats> {
    const key = `${gitDir}\0${commit}\0${configPath ?? ''}`;
    const known = this.trees.get(key);
    if (known) return known;
    const out = (await this.local(gitDir, ['ls-tree', '-r', '-l', '-z', '--full-tree', '--end-of-options', commit], undefined, MAX_LISTING_BYTES)).toString('utf8');
    let files = 0;
    let bytes = 0;
    let config: TreeStats['config'];
    for (const line of out.split('\0')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const [mode = '', type = '', oid = '', size = ''] = line.slice(0, tab).split(/ +/);
      if (type !== 'blob') continue; // submodule commits are not checked out
      files++;
      bytes += Number(size) || 0;
      if (line.slice(tab + 1) === configPath) config = { mode, type, oid, size: Number(size) || 0 };
    }
    const stats = { files, bytes, ...(config ? { config } : {}) };
    this.trees.set(key, stats);
    return stats;
  }

  /** The merge base and the changed files of `base...head`, with their parts of the diff. */
  private async change(gitDir: string, base: string, head: string, repository: string): Promise<Change> {
    const key = `${gitDir}\0${base}\0${head}`;
    const known = this.changes.get(key);
    if (known) return known;
    let mergeBase: string;
    try {
      mergeBase = (await this.local(gitDir, ['merge-base', '--end-of-options', base, head])).toString('utf8').trim();
    } catch (err) {
      if (err instanceof GitFailure && err.exitCode === 1) throw refNotFound('source.base', `In the repository "${repository}", head and base share no history, so there is no change base...head to review. Name a base that head was branched from.`);
      throw err;
    }
    const options = ['-M', '--no-color', '--no-ext-diff', '--no-textconv', '--no-relative', '--end-of-options', mergeBase, head];
    const [names, patch] = await Promise.all([
      this.local(gitDir, ['diff', '--name-status', '-z', ...options], undefined, MAX_LISTING_BYTES),
      this.local(gitDir, ['diff', '--patch', ...options], undefined, this.settings.maxDiffBytes).catch((err: unknown) => {
        if (err instanceof GitFailure && err.reason === 'too_large') {
          throw new InputError('source_too_large', `The diff of "${repository}" from ${mergeBase.slice(0, 12)} to ${head.slice(0, 12)} is larger than ${this.settings.maxDiffBytes} bytes (sources.maxDiffBytes). Review a smaller change, or ask an operator to raise the limit.`);
        }
        throw err;
      }),
    ]);
    const change = { mergeBase, changedFiles: changedFiles(names.toString('utf8'), patch.toString('utf8')) };
    this.changes.set(key, change);
    return change;
  }

  /** The configuration file at head, parsed and validated; undefined when head has none. */
  private async config(gitDir: string, commit: string, tree: TreeStats, path: string, schema: ZodType): Promise<unknown> {
    const entry = tree.config;
    if (!entry) return undefined;
    const refuse = (message: string) => new InputError('invalid_repository_config', `${path} at ${commit.slice(0, 12)} ${message}.`, { errors: [{ field: path, message }] });
    if (entry.mode !== '100644' && entry.mode !== '100755') throw refuse('must be a regular file (not a symlink or a directory)');
    if (entry.size > CONFIG_FILE_MAX_BYTES) throw refuse(`is ${entry.size} bytes; at most ${CONFIG_FILE_MAX_BYTES} are read`);
    let cache = this.configs.get(schema);
    if (!cache) this.configs.set(schema, (cache = new LRUCache({ max: 1000 })));
    const key = `${entry.oid}\0${path}`;
    const known = cache.get(key);
    if (known) return known.value;
    const text = (await this.local(gitDir, ['cat-file', 'blob', entry.oid])).toString('utf8');
    const value = parseConfigFile(text, path, commit, schema);
    cache.set(key, { value });
    return value;
  }

  private local(gitDir: string, args: readonly string[], input?: string, maxBytes?: number): Promise<Buffer> {
    return this.git.run({ args, gitDir, timeoutMs: LOCAL_TIMEOUT_MS, ...(input !== undefined ? { input } : {}), ...(maxBytes ? { maxBytes } : {}) });
  }
}
