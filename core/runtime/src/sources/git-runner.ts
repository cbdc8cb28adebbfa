import { execFile, type ChildProcess } from 'node:child_process';
import type { RepositoryScheme } from './repository-url';

/** One git invocation, without the hardening (the runner adds it to every command). */
export interface GitCommand {
  /** The subcommand and its arguments, e.g. `['fetch', '--prune', 'origin']`. */
  readonly args: readonly string[];
  /** The bare repository it runs in (`--git-dir`). */
  readonly gitDir?: string;
  /** A work tree outside the git directory (`--work-tree`), for `checkout-index`. */
  readonly workTree?: string;
  /** The one transport this command may use (clone, fetch); local commands get none. */
  readonly scheme?: RepositoryScheme;
  /** For https: what the credential helper answers, passed in its environment only. */
  readonly credentials?: { readonly username: string; readonly token: string };
  /** Extra environment, e.g. `GIT_INDEX_FILE`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the command's stdin. */
  readonly input?: string;
  readonly timeoutMs: number;
  /** Largest stdout kept (1 MiB when absent); more fails as `too_large`. */
  readonly maxBytes?: number;
}

/** Why a git command failed: it exited non-zero, ran past its time, or wrote more than allowed. */
export type GitFailureReason = 'failed' | 'timeout' | 'too_large';

/** A git command that did not succeed; `stderr` is for the log, never for a response. */
export class GitFailure extends Error {
  override readonly name = 'GitFailure';
  constructor(
    readonly subcommand: string,
    readonly reason: GitFailureReason,
    readonly stderr: string,
    readonly exitCode?: number,
  ) {
    super(`git ${subcommand} ${reason === 'timeout' ? 'timed out' : reason === 'too_large' ? 'wrote more than allowed' : `failed (exit ${exitCode ?? '?'})`}: ${stderr.split('\n')[0] ?? ''}`);
  }
}

/** Runs git. The platform has one (execFile, hardened); tests wrap it to see what ran. */
export interface GitRunner {
  run(command: GitCommand): Promise<Buffer>;
}

/** Variables of the platform's environment a git child may see: where programs are, ssh's agent and keys, proxies and CAs. */
export const GIT_PASSED_THROUGH = ['PATH', 'HOME', 'SSH_AUTH_SOCK', 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'TMPDIR'] as const;

/**
 * A credential helper that answers `get` with the username and token from its own
 * environment: the values never appear on a command line, in a URL or in the mirror's config.
 */
const CREDENTIAL_HELPER = '!f() { test "$1" = get || exit 0; printf "username=%s\\npassword=%s\\n" "$CCP_GIT_USERNAME" "$CCP_GIT_TOKEN"; }; f';

/**
 * The `-c` options every command gets. Nothing from the repository or the host may make
 * git run a program or reach another transport: no hooks, no fsmonitor, no filters or LFS
 * smudging, no submodule recursion, no attribute file of the host, no credential helper but
 * ours, detached maintenance off (no git process outlives its command), and every transport
 * forbidden except the repository's own.
 */
export function hardeningArgs(command: Pick<GitCommand, 'scheme' | 'credentials'>): string[] {
  const settings = [
    'core.hooksPath=/dev/null',
    'core.fsmonitor=false',
    'core.attributesFile=/dev/null',
    'core.autocrlf=false',
    'core.symlinks=true',
    'core.quotePath=false',
    'submodule.recurse=false',
    'fetch.recurseSubmodules=false',
    'filter.lfs.smudge=',
    'filter.lfs.process=',
    'filter.lfs.required=false',
    'gc.autoDetach=false',
    'maintenance.autoDetach=false',
    'protocol.allow=never',
    ...(command.scheme ? [`protocol.${command.scheme}.allow=always`] : []),
    'credential.helper=',
    ...(command.credentials ? [`credential.helper=${CREDENTIAL_HELPER}`] : []),
  ];
  return settings.flatMap((s) => ['-c', s]);
}

/**
 * The environment of a git child: an allowlist of the platform's own (never all of it),
 * with the system and global git config switched off (`~/.gitconfig`, `/etc/gitconfig`
 * and the XDG config could set hooks, aliases, filters or `core.sshCommand`), no prompts,
 * LFS smudging skipped and only the repository's transport allowed.
 */
export function gitEnv(base: NodeJS.ProcessEnv, command: Pick<GitCommand, 'scheme' | 'credentials' | 'env'>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of GIT_PASSED_THROUGH) if (base[name] !== undefined) env[name] = base[name] as string;
  Object.assign(env, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    XDG_CONFIG_HOME: '/nonexistent',
    GIT_TERMINAL_PROMPT: '0',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_PROTOCOL_FROM_USER: '0',
    GIT_ALLOW_PROTOCOL: command.scheme ?? 'none',
    LC_ALL: 'C',
    ...(command.scheme === 'ssh' ? { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' } : {}),
    ...(command.credentials ? { CCP_GIT_USERNAME: command.credentials.username, CCP_GIT_TOKEN: command.credentials.token } : {}),
    ...command.env,
  });
  return env;
}

/** The full argument list of a command: hardening, the repository, then the subcommand. */
export function gitArgs(command: GitCommand): string[] {
  return [...hardeningArgs(command), ...(command.gitDir ? [`--git-dir=${command.gitDir}`] : []), ...(command.workTree ? [`--work-tree=${command.workTree}`] : []), ...command.args];
}

/** Runs git with `execFile` (no shell), the hardened options and environment, a time limit and an output bound. */
export class ExecGitRunner implements GitRunner {
  private readonly running = new Set<ChildProcess>();
  private closed = false;

  constructor(
    private readonly baseEnv: NodeJS.ProcessEnv,
    private readonly executable = 'git',
  ) {}

  /** Ends every command still running (at shutdown: no git process outlives the platform). */
  close(): void {
    this.closed = true;
    for (const child of this.running) child.kill('SIGTERM');
  }

  run(command: GitCommand): Promise<Buffer> {
    const subcommand = command.args[0] ?? '';
    return new Promise((resolve, reject) => {
      const child: ChildProcess = execFile(
        this.executable,
        gitArgs(command),
        { env: gitEnv(this.baseEnv, command), timeout: command.timeoutMs, killSignal: 'SIGTERM', maxBuffer: command.maxBytes ?? 1024 * 1024, encoding: 'buffer', windowsHide: true },
        (err, stdout, stderr) => {
          this.running.delete(child);
          if (!err) return resolve(stdout);
          const text = stderr.toString('utf8').slice(0, 4000);
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown; signal?: string | null };
          if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return reject(new GitFailure(subcommand, 'too_large', text));
          if (this.closed) return reject(new GitFailure(subcommand, 'failed', `ended at shutdown. ${text}`));
          if (e.killed && e.signal) return reject(new GitFailure(subcommand, 'timeout', text));
          reject(new GitFailure(subcommand, 'failed', e.code === 'ENOENT' ? `${this.executable} is not installed (${String(e.message)})` : text, typeof e.code === 'number' ? e.code : undefined));
        },
      );
      this.running.add(child);
      child.stdin?.on('error', () => undefined); // a command that exits before reading its input
      child.stdin?.end(command.input ?? '');
    });
  }
}
