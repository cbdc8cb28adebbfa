import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExecGitRunner, type GitCommand, type GitRunner } from '@ccp/runtime';

/**
 * A git repository a test builds: a working repository and the bare repository it pushes
 * to, which the platform reads by its `file://` URL. Git runs with no system or global
 * config and a fixed identity and clock, so commits are the same on every machine.
 */
export interface TestRepository {
  /** The working repository. */
  readonly dir: string;
  /** The bare repository (the "remote"). */
  readonly bare: string;
  /** `file://` URL of the bare repository, for `repositories[].url`. */
  readonly url: string;
  /** Runs git in the working repository and returns its output, trimmed. */
  git(...args: string[]): string;
  /** Writes files (creating directories) in the working repository. */
  write(files: Readonly<Record<string, string>>): void;
  /** Makes a symbolic link at `path` pointing at `target`. */
  symlink(path: string, target: string): void;
  /** Commits everything in the working repository; returns the commit SHA. */
  commit(message: string): string;
  /** Switches to `branch`, creating it from the current commit when asked. */
  checkout(branch: string, create?: boolean): void;
  /** Pushes every branch and tag to the bare repository. */
  push(): void;
  /** `git rev-parse` in the bare repository. */
  rev(ref: string): string;
  /** Removes both repositories. */
  remove(): void;
}

const ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.invalid',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.invalid',
  GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
  GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
  LC_ALL: 'C',
};

/** A fresh repository on branch `main` with no commits, and an empty bare repository to push to. */
export function createTestRepository(name = 'repo'): TestRepository {
  const root = mkdtempSync(join(tmpdir(), 'ccp-git-'));
  const dir = join(root, name);
  const bare = join(root, `${name}.git`);
  const env = { PATH: process.env.PATH ?? '', HOME: root, ...ENV };
  const run = (cwd: string, args: string[]) => execFileSync('git', args, { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();
  mkdirSync(dir);
  run(root, ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  run(dir, ['init', '--quiet', '--initial-branch=main']);
  run(dir, ['remote', 'add', 'origin', bare]);
  return {
    dir,
    bare,
    url: `file://${bare}`,
    git: (...args) => run(dir, args),
    write: (files) => {
      for (const [path, content] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    },
    symlink: (path, target) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      symlinkSync(target, join(dir, path));
    },
    commit: (message) => {
      run(dir, ['add', '--all', '--force']);
      run(dir, ['commit', '--quiet', '--allow-empty', '--no-verify', '-m', message]);
      return run(dir, ['rev-parse', 'HEAD']);
    },
    checkout: (branch, create = false) => void run(dir, ['checkout', '--quiet', ...(create ? ['-b'] : []), branch]),
    push: () => {
      run(dir, ['push', '--quiet', '--force', 'origin', '--all']);
      run(dir, ['push', '--quiet', '--force', 'origin', '--tags']);
    },
    rev: (ref) => run(bare, ['rev-parse', '--verify', `${ref}^{commit}`]),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The git tree object id of a directory as it is on disk (every file, with its executable
 * bit; symlinks as links), hashed without filters or attributes: what `git rev-parse
 * <commit>^{tree}` gives when the directory holds that commit exactly.
 */
export function treeHashOf(dir: string): string {
  const root = mkdtempSync(join(tmpdir(), 'ccp-tree-'));
  try {
    const gitDir = join(root, 'g');
    const base = { PATH: process.env.PATH ?? '', HOME: root, ...ENV };
    execFileSync('git', ['init', '--quiet', '--bare', gitDir], { env: base });
    const env = { ...base, GIT_DIR: gitDir, GIT_WORK_TREE: dir, GIT_INDEX_FILE: join(root, 'index') };
    const run = (args: string[]) => execFileSync('git', args, { cwd: dir, env, encoding: 'utf8' }).trim();
    // Outranks any .gitattributes in the directory: every file is hashed as its bytes are.
    writeFileSync(join(gitDir, 'info', 'attributes'), '* -text -eol -ident -filter -working-tree-encoding\n');
    run(['-c', 'core.autocrlf=false', '-c', 'core.fileMode=true', 'add', '--all', '--force', '.']);
    return run(['write-tree']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** A git runner that records every command before running it with the platform's own runner. */
export class RecordingGitRunner implements GitRunner {
  readonly commands: GitCommand[] = [];
  constructor(private readonly inner: GitRunner = new ExecGitRunner(process.env)) {}

  run(command: GitCommand): Promise<Buffer> {
    this.commands.push(command);
    return this.inner.run(command);
  }

  /** The subcommands run so far (`clone`, `fetch`, `cat-file`, …), in order. */
  get subcommands(): string[] {
    return this.commands.map((c) => c.args[0] ?? '');
  }

  /** How many times `subcommand` ran. */
  count(subcommand: string): number {
    return this.subcommands.filter((s) => s === subcommand).length;
  }

  clear(): void {
    this.commands.length = 0;
  }
}
