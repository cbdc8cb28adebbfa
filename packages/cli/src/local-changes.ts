import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { promisify } from 'node:util';
import { CliError } from './cli-error';

const run = promisify(execFile);

/** What `--local` sends: the diff of base...head and the files to read beside it. */
export interface LocalChange {
  readonly diff: string;
  /** The changed files as they are at head, then files of the same directories (neighbours), within the limits. */
  readonly context: { readonly path: string; readonly content: string }[];
  /** Paths left out, and why (too large, binary, over the limits). */
  readonly skipped: { readonly path: string; readonly reason: string }[];
}

/** The code-review input's limits on files (its schema refuses more). */
export const LIMITS = { maxFiles: 50, maxFileBytes: 256 * 1024, maxTotalBytes: 1024 * 1024, maxDiffBytes: 1024 * 1024, neighboursPerDirectory: 5 } as const;

/** Paths the platform refuses in a workspace (a `.git` segment, Claude Code's own config). */
const REFUSED = /(^|\/)\.git(\/|$)|(^|\/)\.claude(\/|$)|(^|\/)\.mcp\.json$/i;

/**
 * What git is given of the environment: where it runs and the checkout's own GIT_* settings
 * (a CI runner may set GIT_DIR), never CCP_KEY or the runner's other secrets.
 */
function gitEnv(): NodeJS.ProcessEnv {
  const keep = (k: string) => ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'SYSTEMROOT'].includes(k) || (k.startsWith('GIT_') && k !== 'GIT_ASKPASS');
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => keep(k))), GIT_PAGER: 'cat', GIT_EXTERNAL_DIFF: '', GIT_TERMINAL_PROMPT: '0' };
}

/** git with the repository's own config kept from running anything (no pager, no external diff, no textconv). */
async function git(cwd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run('git', ['-c', 'core.pager=cat', '-c', 'diff.external=', ...args], { cwd, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', env: gitEnv() });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; code?: string | number };
    if (e.code === 'ENOENT') throw new CliError('git is not installed or not on PATH; --local reads the change with git');
    throw new CliError(`git ${args.join(' ')} failed: ${(e.stderr ?? String(err)).trim()}`);
  }
}

/** A file's content at `rev`, or undefined when it is not UTF-8 text. */
async function textAt(cwd: string, rev: string, path: string): Promise<string | undefined> {
  const content = await git(cwd, ['show', `${rev}:${path}`]);
  return content.includes('\u0000') ? undefined : content;
}

/**
 * Reads the change between `base` and `head` in the checkout at `cwd`: `git diff base...head`
 * (what head adds since it left base), the changed files as they are at head, and as many of
 * their neighbours (files of the same directories) as the limits allow.
 */
export async function readLocalChange(cwd: string, base: string, head: string): Promise<LocalChange> {
  const diff = await git(cwd, ['diff', '--no-color', '--no-ext-diff', '--no-textconv', `${base}...${head}`]);
  if (diff.trim() === '') throw new CliError(`there is no change between ${base} and ${head}: nothing to review`);
  if (Buffer.byteLength(diff) > LIMITS.maxDiffBytes) throw new CliError(`the diff of ${base}...${head} is larger than 1 MiB; review a smaller range (--base)`);
  const changed = (await git(cwd, ['diff', '--name-only', '--diff-filter=d', '-z', `${base}...${head}`])).split('\u0000').filter(Boolean);
  const dirs = [...new Set(changed.map((p) => posix.dirname(p)))];
  const neighbours: string[] = [];
  for (const dir of dirs) {
    // `<mode> <type> <object>\t<path>` per entry; only files (blobs), not subdirectories or submodules.
    const entries = (await git(cwd, ['ls-tree', '-z', head, ...(dir === '.' ? [] : [`${dir}/`])])).split('\u0000').filter(Boolean);
    const files = entries.filter((e) => e.split(' ')[1] === 'blob').map((e) => e.slice(e.indexOf('\t') + 1));
    neighbours.push(...files.filter((p) => !changed.includes(p) && !neighbours.includes(p)).slice(0, LIMITS.neighboursPerDirectory));
  }
  const context: LocalChange['context'] = [];
  const skipped: LocalChange['skipped'] = [];
  let total = 0;
  for (const path of [...changed, ...neighbours]) {
    if (REFUSED.test(path)) {
      skipped.push({ path, reason: 'a path the platform refuses in a workspace' });
      continue;
    }
    if (context.length >= LIMITS.maxFiles) {
      skipped.push({ path, reason: `over ${LIMITS.maxFiles} files` });
      continue;
    }
    const content = await textAt(cwd, head, path).catch(() => undefined);
    if (content === undefined) {
      skipped.push({ path, reason: 'not a text file at head' });
      continue;
    }
    const bytes = Buffer.byteLength(content);
    if (bytes > LIMITS.maxFileBytes || total + bytes > LIMITS.maxTotalBytes) {
      skipped.push({ path, reason: bytes > LIMITS.maxFileBytes ? 'larger than 256 KiB' : 'over 1 MiB in all' });
      continue;
    }
    total += bytes;
    context.push({ path, content });
  }
  return { diff, context, skipped };
}
