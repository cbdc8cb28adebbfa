import { ClaudeError, WRITE_TOOLS, type ClaudeClient, type ClaudeEvent, type ClaudeRequest, type ClaudeResult, type Logger, type TokenUsage } from '@ccp/plugin-api';
import type { Options, Query, SDKMessage, SDKUserMessage, SessionStore } from '@anthropic-ai/claude-agent-sdk';
import { ClaudeProcess } from './child-process';
import { mapMessage, resultEvent } from './map-messages';
import { SentText } from './sent-text';
import { buildQueryOptions, workspaceHost } from './query-options';
import { createWorkspace, type Workspace } from './workspace';
import type { LivePool } from '../capacity/live-pool';
import type { PrewarmFn } from '../capacity/spare-pool';
import type { Metrics } from '../metrics/metrics';

/** The SDK's `query` function, injected so unit tests never load the ESM SDK. */
export type QueryFn = (params: { prompt: string | AsyncIterable<SDKUserMessage>; options?: Options }) => Query;

/** Loads the ESM-only SDK from CommonJS output with a native dynamic import. */
export async function loadSdkQuery(): Promise<QueryFn> {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  return sdk.query as QueryFn;
}

/** Loads the SDK's `prewarm` (for the warm pool). */
export async function loadSdkPrewarm(): Promise<PrewarmFn> {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  return sdk.prewarm as PrewarmFn;
}

/** Settings the real client needs besides each request. */
export interface SdkClientSettings {
  readonly query: QueryFn;
  readonly env: Record<string, string>;
  readonly workspaceRoot: string;
  readonly executable?: string;
  readonly logger: Logger;
  /** Transcript store for session turns. */
  readonly sessionStore?: SessionStore;
  /** Live processes for stateless calls; a one-off `query()` when absent or full. */
  readonly pool?: LivePool;
  readonly metrics?: Metrics;
}

/** Where one call runs: a one-off query, or a turn of a live process from the pool. */
interface Attempt {
  readonly messages: AsyncIterable<SDKMessage>;
  /** Served by the pool: a kept process, or a claimed spare. */
  readonly pooled: boolean;
  readonly workspace: Workspace;
  readonly process: ClaudeProcess;
  /** Called once when the call is over; `clean` when a result was read and nothing was aborted. */
  end(clean: boolean): Promise<void>;
}

/** The error of a call refused or ended because this instance is shutting down. */
export const shuttingDownError = () => new ClaudeError('shutting_down', 'the platform is shutting down', undefined, 1);

/** Runs `fn` once the signal aborts (now, if it already has); returns the unsubscribe. */
function whenAborted(signal: AbortSignal | undefined, fn: () => void): () => void {
  if (!signal) return () => undefined;
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

class TimeoutSignal extends Error {}
class CallerGone extends Error {}
class ShuttingDown extends Error {}
class Interrupted extends Error {}
/** The typed error for an abort reason set by this client; undefined for any other reason. */
function abortError(reason: unknown, timeoutMs: number): ClaudeError | undefined {
  if (reason instanceof TimeoutSignal) return new ClaudeError('timeout', `the query did not finish within ${timeoutMs} ms`);
  if (reason instanceof CallerGone) return new ClaudeError('aborted', 'the caller went away');
  if (reason instanceof ShuttingDown) return shuttingDownError();
  return undefined;
}

/** A pool process could not take the call (died unnoticed, or a spare refused its claim) before anything was sent. */
class UnusableProcess extends Error {}

/** A resumed session's result minus the running totals it started from. */
function thisTurnOnly(result: ClaudeResult, prior: { usage: TokenUsage; costUsd: number }): ClaudeResult {
  const u = result.usage;
  const p = prior.usage;
  const less = (a: number, b: number) => Math.max(0, a - b);
  return {
    ...result,
    costUsd: Math.max(0, result.costUsd - prior.costUsd),
    usage: {
      inputTokens: less(u.inputTokens, p.inputTokens),
      outputTokens: less(u.outputTokens, p.outputTokens),
      cacheReadInputTokens: less(u.cacheReadInputTokens, p.cacheReadInputTokens),
      cacheCreationInputTokens: less(u.cacheCreationInputTokens, p.cacheCreationInputTokens),
    },
  };
}

/** Removes every secret value from text before it is logged. */
function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((t, s) => (s ? t.replaceAll(s, '[redacted]') : t), text);
}

/**
 * The one real Claude client: each call runs the `claude` CLI through the Agent SDK, in a
 * process the warm pool keeps for its caller or a one-off query in a fresh workspace, under
 * an AbortController fired on timeout, when the caller goes away, and on shutdown. Before
 * the iterator finishes a one-off's child is gone and its workspace removed, a failed
 * call's pool process is ended, and a clean one is handed back to the pool.
 */
export class SdkClaudeClient implements ClaudeClient {
  private readonly running = new Map<AbortController, Promise<void>>();
  private closing = false;

  constructor(private readonly settings: SdkClientSettings) {}

  /** Queries running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Waits up to `graceMs` for running queries to finish by themselves, then ends the rest. */
  async drain(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    while (this.running.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.all(this.running.values()), new Promise((r) => setTimeout(r, Math.min(250, Math.max(1, deadline - Date.now()))))]);
    }
    await this.close();
  }

  /** Aborts every running query and waits until their processes and workspaces are gone; later calls fail as shutting_down. */
  async close(): Promise<void> {
    this.closing = true;
    for (const controller of this.running.keys()) controller.abort(new ShuttingDown());
    await Promise.all(this.running.values());
  }

  /** A turn of a live process when the pool has one for this call, else a one-off query. */
  private async begin(request: ClaudeRequest, abortController: AbortController, usePool: boolean): Promise<Attempt> {
    const { query, workspaceRoot, sessionStore, pool, metrics } = this.settings;
    const live = usePool ? await pool?.lease(request) : undefined;
    if (pool && live) {
      // Aborting the call stops the live process's SDK query too (the process is then ended).
      whenAborted(abortController.signal, () => live.abortController.abort());
      return {
        messages: live.turn(request.prompt),
        pooled: true,
        workspace: live.workspace,
        process: live.process,
        end: async (clean) => {
          // A clean process is cleared and parked in the background; any other is ended
          // before the call finishes (as is every process once the pool is closing).
          const released = pool.release(live, clean);
          if (!clean || pool.closing) await released;
        },
      };
    }
    const workspace = await createWorkspace(workspaceRoot, request.files, request.session ? `s-${request.session.id}` : undefined);
    const process = new ClaudeProcess();
    metrics?.spawns.inc({ kind: 'cold' });
    const messages = query({
      prompt: request.prompt,
      options: buildQueryOptions(request, workspaceHost(workspace, this.settings, abortController, process, sessionStore)),
    });
    return {
      messages,
      pooled: false,
      workspace,
      process,
      end: async () => {
        await process.ensureExited();
        await workspace.remove().catch((err: unknown) => this.settings.logger.warn({ err, requestId: request.requestId }, 'could not remove a query workspace'));
      },
    };
  }

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    if (this.closing) throw shuttingDownError();
    // One controller for the whole call, counted as running from the start (so a drain
    // waits for a call still being set up, or being handed from a pool process to a one-off).
    const call = new AbortController();
    let settle = () => undefined as void;
    this.running.set(call, new Promise<void>((resolve) => (settle = resolve)));
    const timer = setTimeout(() => call.abort(new TimeoutSignal()), request.timeoutMs);
    const forgetCaller = whenAborted(request.signal, () => call.abort(new CallerGone()));
    try {
      try {
        yield* this.runOnce(request, call.signal, true);
      } catch (err) {
        if (!(err instanceof UnusableProcess)) throw err;
        // Nothing reached the caller: run the call as if there were no pool.
        this.settings.logger.warn({ requestId: request.requestId, plugin: request.pluginId, reason: err.message }, 'a pool process could not take the call; running it one-off');
        this.settings.metrics?.poolLeases.inc({ plugin: request.pluginId, result: 'fallback' });
        yield* this.runOnce(request, call.signal, false);
      }
    } finally {
      clearTimeout(timer);
      forgetCaller();
      this.running.delete(call);
      settle();
    }
  }

  /** One attempt at the call, in a pool process (`usePool`) or a one-off query; `call` fires on timeout, caller gone and shutdown. */
  private async *runOnce(request: ClaudeRequest, call: AbortSignal, usePool: boolean): AsyncGenerator<ClaudeEvent> {
    const { env, logger } = this.settings;
    if (call.aborted) throw abortError(call.reason, request.timeoutMs) ?? new ClaudeError('aborted', 'the call was aborted');
    // This attempt's own controller follows the call's, and also fires when the attempt
    // stops early (so its process is ended without affecting a following attempt).
    const abortController = new AbortController();
    const unfollow = whenAborted(call, () => abortController.abort(call.reason));
    let attempt: Attempt;
    try {
      attempt = await this.begin(request, abortController, usePool);
    } catch (err) {
      unfollow();
      throw err;
    }
    const { workspace, process } = attempt;
    // An aborted query (timeout, caller gone, shutdown) has nothing left to save, so its
    // child is ended at once rather than after the SDK's graceful-exit window (about 2 s).
    // (Aborted while it was being set up, it is ended now.)
    whenAborted(abortController.signal, () => process.terminate());
    let finished = false;
    let sawResult = false;
    let received = 0;
    let yielded = 0;
    try {
      let result: ClaudeEvent | undefined;
      let failure: unknown;
      const sent = new SentText();
      try {
        for await (const message of attempt.messages) {
          received++;
          if (request.streaming && sent.abandoned(message)) {
            // The CLI answers a stream that broke after output began by asking again; the
            // caller has part of the first answer already, so it must not get a second.
            failure = new ClaudeError('interrupted', 'the Claude API failed after part of the answer was streamed; not retried');
            abortController.abort(new Interrupted());
            break;
          }
          if (message.type === 'result') {
            sawResult = true;
            try {
              result = resultEvent(message, request.outputSchema !== undefined);
            } catch (err) {
              failure = err;
            }
            break;
          }
          for (const event of mapMessage(message, workspace.dir)) {
            if (event.type === 'text') sent.text();
            yielded++;
            yield event;
          }
        }
      } catch (err) {
        failure ??= err;
      }
      if (abortController.signal.aborted && !(abortController.signal.reason instanceof Interrupted)) {
        const known = abortError(abortController.signal.reason, request.timeoutMs);
        if (known) throw known;
      }
      if (attempt.pooled && failure && yielded === 0) {
        // A kept process that ended before it said anything had died between calls (at
        // most its API request went out; no answer reached the caller).
        if (received === 0) throw new UnusableProcess('it had died');
        // The SDK's answer when a parked spare refuses its claim: start it with query().
        if (failure instanceof Error && failure.message.startsWith('not_claimed')) throw new UnusableProcess(failure.message);
      }
      if (failure instanceof ClaudeError) throw failure;
      if (failure || !result) {
        const message = failure instanceof Error ? failure.message : 'the Claude Code process ended without a result';
        logger.warn({ requestId: request.requestId, plugin: request.pluginId, err: message, stderr: scrub(process.stderr, Object.values(env)) }, 'claude process failed');
        throw new ClaudeError('crash', message);
      }
      if (result.type === 'result') {
        if (request.session?.prior) result = thisTurnOnly(result, request.session.prior);
        const problem = request.checkOutput?.(result.output);
        if (problem) throw new ClaudeError('invalid_output', problem);
        if (request.tools.allow.some((t) => WRITE_TOOLS.includes(t))) result = { ...result, writtenFiles: await workspace.changedFiles() };
      }
      finished = true;
      yield result;
    } finally {
      unfollow();
      if (!finished && !abortController.signal.aborted) abortController.abort(new CallerGone());
      await attempt.end(sawResult && !abortController.signal.aborted);
    }
  }
}
