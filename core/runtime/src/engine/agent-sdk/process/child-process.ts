import { spawn, type ChildProcess } from 'node:child_process';
import type { SpawnedProcess, SpawnOptions } from '@anthropic-ai/claude-agent-sdk';

/** How much of the child's stderr is kept. */
const STDERR_TAIL_CHARS = 4096;

/** How long a `claude` child gets to exit after its query ended before it is killed. */
export const EXIT_GRACE_MS = 3_000;

/**
 * Spawns `claude` for the SDK and keeps hold of the child, so the query's owner can
 * make sure it is gone (SIGTERM, then SIGKILL) before the request finishes.
 */
export class ClaudeProcess {
  private child: ChildProcess | undefined;
  /** The last few KB the child wrote to stderr, for diagnosing a crash. */
  stderr = '';
  private exited: Promise<void> = Promise.resolve();

  /** The function to pass as the SDK's `spawnClaudeCodeProcess`. */
  readonly spawn = (options: SpawnOptions): SpawnedProcess => {
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env as NodeJS.ProcessEnv,
      signal: options.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    this.exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
      // An abort makes node kill the child and emit 'error' at once, before the child has
      // exited; only a child that never started is finished by an error.
      child.once('error', () => {
        if (child.pid === undefined) resolve();
      });
    });
    return child as unknown as SpawnedProcess;
  };

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether the child was started and has not exited. */
  get alive(): boolean {
    return this.running;
  }

  private get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null && this.child.pid !== undefined;
  }

  /** Asks a running child to end now (SIGTERM). */
  terminate(): void {
    if (this.running) this.child?.kill('SIGTERM');
  }

  /** Waits for the child to exit, ending it if it does not go within the grace period. */
  async ensureExited(graceMs = EXIT_GRACE_MS): Promise<void> {
    if (!this.running) return;
    const gone = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (gone || !this.running) return;
    this.child?.kill('SIGTERM');
    const termed = await Promise.race([this.exited.then(() => true), delay(1_000).then(() => false)]);
    if (!termed && this.running) this.child?.kill('SIGKILL');
    await this.exited;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
