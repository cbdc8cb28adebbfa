import type { Logger } from '@ccp/plugin-api';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeRequest } from '../../types';
import type { ClaudeProcess } from '../process/child-process';
import type { ProcessLauncher } from '../process/launcher';
import type { Workspace } from '../process/workspace';
import type { LivePool } from './live-pool';

/** Where one attempt at a call runs: a one-off query, or a turn of a live process from the pool. */
export interface Attempt {
  readonly messages: AsyncIterable<SDKMessage>;
  /** Served by the pool: a kept process, or a claimed spare. */
  readonly pooled: boolean;
  readonly workspace: Workspace;
  readonly process: ClaudeProcess;
  /** Called once when the call is over; `clean` when a result was read and nothing was aborted. */
  end(clean: boolean): Promise<void>;
}

/** Gives the agent engine a process for each attempt; the engine owns none of them. */
export interface ProcessSource {
  /** A process for one attempt; aborting `abortController` stops it. */
  acquire(request: ClaudeRequest, abortController: AbortController): Promise<Attempt>;
  /** Ends every process the source keeps. */
  close(): Promise<void>;
}

/** A fresh `claude` per call, in a fresh workspace; both gone when the attempt ends. */
export class OneOffSource implements ProcessSource {
  constructor(
    private readonly launcher: ProcessLauncher,
    private readonly logger: Logger,
  ) {}

  async acquire(request: ClaudeRequest, abortController: AbortController): Promise<Attempt> {
    const { messages, workspace, process } = await this.launcher.oneOff(request, abortController);
    return {
      messages,
      pooled: false,
      workspace,
      process,
      end: async () => {
        await process.ensureExited();
        await workspace.remove().catch((err: unknown) => this.logger.warn({ err, requestId: request.requestId }, 'could not remove a query workspace'));
      },
    };
  }

  async close(): Promise<void> {}
}

/** The warm pool's process when it has one for the call, else a one-off. */
export class PooledSource implements ProcessSource {
  constructor(
    private readonly pool: LivePool,
    private readonly oneOff: ProcessSource,
  ) {}

  async acquire(request: ClaudeRequest, abortController: AbortController): Promise<Attempt> {
    const { pool } = this;
    const live = await pool.lease(request);
    if (!live) return this.oneOff.acquire(request, abortController);
    // Aborting the attempt stops the live process's SDK query too (the process is then ended).
    const follow = () => live.abortController.abort();
    if (abortController.signal.aborted) follow();
    else abortController.signal.addEventListener('abort', follow, { once: true });
    return {
      messages: live.turn(request.prompt),
      pooled: true,
      workspace: live.workspace,
      process: live.process,
      end: async (clean) => {
        abortController.signal.removeEventListener('abort', follow);
        // A clean process is cleared and parked in the background; any other is ended
        // before the call finishes (as is every process once the pool is closing).
        const released = pool.release(live, clean);
        if (!clean || pool.closing) await released;
      },
    };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
