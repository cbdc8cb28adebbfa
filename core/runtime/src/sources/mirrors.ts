import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UpstreamError, type Logger } from '@ccp/plugin-api';
import type { RepositoryConfig } from '../config/schema';
import type { Metrics } from '../metrics/metrics';
import { GitFailure, type GitCommand, type GitRunner } from './git-runner';
import { schemeOf } from './repository-url';

/**
 * The mirror's `info/attributes`, which outranks every `.gitattributes` in a tree: no
 * attribute of the repository may change a file as it is checked out (line endings,
 * `ident`, filters, encodings) or leave one out of an archive, so the workspace holds the
 * commit's bytes exactly. Diffs still see `binary` and `diff` attributes.
 */
export const MIRROR_ATTRIBUTES = '* -text -eol -ident -filter -working-tree-encoding -export-ignore -export-subst\n';

/** What a mirror's fetches wait on: at most one runs, and callers arriving meanwhile share the next. */
interface FetchState {
  running?: Promise<void>;
  queued?: Promise<void>;
}

// Per process, not per runtime: a runtime being replaced by a reload may still be fetching.
const states = new Map<string, FetchState>();
const clones = new Map<string, Promise<void>>();
/** Mirrors whose attributes file this process has written (a mirror made by another version may lack it). */
const attributed = new Set<string>();

/** Where a mirror of `repo` lives under `root`: named after the repository and its URL, so a changed URL gets a new mirror. */
export function mirrorPath(root: string, repo: Pick<RepositoryConfig, 'name' | 'url'>): string {
  return join(root, `${repo.name}-${createHash('sha256').update(repo.url).digest('hex').slice(0, 12)}.git`);
}

/**
 * One bare mirror per configured repository, shared by every call on the instance: cloned
 * (`--mirror`) the first time it is needed, then fetched incrementally. Fetches of one
 * mirror never overlap: while one runs, every caller that arrives waits for one more, which
 * they all share (it starts after theirs arrived, so it sees what was pushed before).
 */
export class Mirrors {
  constructor(
    private readonly git: GitRunner,
    private readonly settings: { readonly mirrorDir: string; readonly fetchTimeoutMs: number },
    /** Where the credential environment variables named in the config are read. */
    private readonly env: NodeJS.ProcessEnv,
    private readonly logger: Logger,
    private readonly metrics?: Pick<Metrics, 'sourceTransfers' | 'sourceTransferDuration'>,
  ) {}

  path(repo: RepositoryConfig): string {
    return mirrorPath(this.settings.mirrorDir, repo);
  }

  /** The mirror's git directory, cloned if there is none yet; `cloned` says it was cloned just now (it is then current). */
  async ready(repo: RepositoryConfig): Promise<{ gitDir: string; cloned: boolean }> {
    const gitDir = this.path(repo);
    if (existsSync(gitDir)) {
      if (!attributed.has(gitDir)) {
        await mkdir(join(gitDir, 'info'), { recursive: true });
        await writeFile(join(gitDir, 'info', 'attributes'), MIRROR_ATTRIBUTES);
        attributed.add(gitDir);
      }
      return { gitDir, cloned: false };
    }
    let clone = clones.get(gitDir);
    if (!clone) {
      clone = this.clone(repo, gitDir).finally(() => clones.delete(gitDir));
      clones.set(gitDir, clone);
    }
    await clone;
    return { gitDir, cloned: true };
  }

  /** Fetches every ref of the repository into its mirror (see the class comment for how callers share fetches). */
  fetch(repo: RepositoryConfig): Promise<void> {
    const gitDir = this.path(repo);
    let state = states.get(gitDir);
    if (!state) states.set(gitDir, (state = {}));
    const s = state;
    if (s.queued) return s.queued;
    const start = (): Promise<void> => {
      const run = this.transfer(repo, ['fetch', '--prune', '--no-recurse-submodules', 'origin'], gitDir).finally(() => {
        if (s.running === run) s.running = undefined;
      });
      s.running = run;
      return run;
    };
    if (!s.running) return start();
    const queued = s.running.catch(() => undefined).then(() => {
      s.queued = undefined;
      return start();
    });
    s.queued = queued;
    return queued;
  }

  /** Clones into a temporary directory beside the mirror and renames it into place, so a half-made mirror is never used. */
  private async clone(repo: RepositoryConfig, gitDir: string): Promise<void> {
    await mkdir(this.settings.mirrorDir, { recursive: true, mode: 0o700 });
    const tmp = `${gitDir}.tmp-${randomUUID()}`;
    try {
      // An empty template: no sample hooks or other files from the host's git installation.
      await this.transfer(repo, ['clone', '--mirror', '--template=', '--no-recurse-submodules', '--', repo.url, tmp]);
      await mkdir(join(tmp, 'info'), { recursive: true });
      await writeFile(join(tmp, 'info', 'attributes'), MIRROR_ATTRIBUTES);
      await rename(tmp, gitDir);
      attributed.add(gitDir);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Runs a clone or fetch with the repository's transport and credentials; a failure is a 502 naming the repository. */
  private async transfer(repo: RepositoryConfig, args: readonly string[], gitDir?: string): Promise<void> {
    const command: GitCommand = { args, ...(gitDir ? { gitDir } : {}), scheme: schemeOf(repo.url), timeoutMs: this.settings.fetchTimeoutMs, ...this.credentials(repo) };
    const started = performance.now();
    const kind = args[0] ?? '';
    const count = (result: 'ok' | 'failed') => {
      this.metrics?.sourceTransfers.inc({ repository: repo.name, kind, result });
      this.metrics?.sourceTransferDuration.observe({ kind }, (performance.now() - started) / 1000);
    };
    try {
      await this.git.run(command);
      count('ok');
      this.logger.debug({ repository: repo.name, command: kind, ms: Math.round(performance.now() - started) }, 'repository mirror updated');
    } catch (err) {
      count('failed');
      const stderr = err instanceof GitFailure ? err.stderr : String(err);
      this.logger.warn({ repository: repo.name, command: args[0], reason: err instanceof GitFailure ? err.reason : 'error', stderr }, `git ${args[0]} of repository ${repo.name} failed`);
      throw new UpstreamError('repository_unavailable', `The platform could not ${args[0]} the repository "${repo.name}": ${why(err, this.settings.fetchTimeoutMs)}. Retry later; if it persists, an operator should check the platform log and the repository's url and credentials.`);
    }
  }

  private credentials(repo: RepositoryConfig): Pick<GitCommand, 'credentials'> {
    const c = repo.credentials;
    if (!c || schemeOf(repo.url) !== 'https') return {};
    const token = this.env[c.tokenEnv];
    if (!token) return {};
    return { credentials: { username: (c.usernameEnv ? this.env[c.usernameEnv] : undefined) || 'x-access-token', token } };
  }
}

/** A short reason for the caller; git's own message (which may name hosts and paths) stays in the log. */
function why(err: unknown, timeoutMs: number): string {
  if (!(err instanceof GitFailure)) return 'git could not be run';
  if (err.reason === 'timeout') return `it did not finish within ${Math.round(timeoutMs / 1000)} s (sources.fetchTimeoutMs)`;
  if (/authentication failed|could not read (username|password)|permission denied|403|401/i.test(err.stderr)) return 'the host refused the credentials';
  if (/not found|does not appear to be a git repository|does not exist/i.test(err.stderr)) return 'the host has no repository at its configured url';
  if (/could not resolve host|connection (refused|timed out)|network is unreachable|unable to access/i.test(err.stderr)) return 'the host could not be reached';
  return 'git failed';
}
