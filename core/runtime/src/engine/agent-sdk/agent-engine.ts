import { WRITE_TOOLS, type Logger, type TokenUsage } from '@ccp/plugin-api';
import type { Metrics } from '../../metrics/metrics';
import { abortReason, ClaudeError, shuttingDownError, type ClaudeEvent, type ClaudeRequest, type ClaudeResult, type Engine } from '../types';
import { mapMessage, resultEvent } from './messages/map-messages';
import { ObservedUsage } from './messages/observed-usage';
import { SentText } from './messages/sent-text';
import type { Attempt, ProcessSource } from './pool/process-source';

/** What the agent engine needs besides each request. */
export interface AgentEngineSettings {
  /** Where each call's first attempt runs (the warm pool with a one-off fallback, or one-off only). */
  readonly source: ProcessSource;
  /** Where a call runs when a pool process could not take it. */
  readonly oneOff: ProcessSource;
  /** The child's environment (its values are scrubbed from logged stderr). */
  readonly env: Record<string, string>;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Runs last in close() (stops what was started beside the engine, e.g. the memory sampler). */
  readonly onClose?: () => Promise<void>;
}

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
  if (reason instanceof ClaudeError) return reason;
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
 * The agent engine: each call runs the `claude` CLI through the Agent SDK, in a process
 * its ProcessSource gives it (the warm pool keeps for its caller or a one-off query in a fresh workspace, under
 * an AbortController fired on timeout, when the caller goes away, and on shutdown. Before
 * the iterator finishes a one-off's child is gone and its workspace removed, a failed
 * call's pool process is ended, and a clean one is handed back to the pool.
 */
export class AgentEngine implements Engine {
  private readonly running = new Map<AbortController, Promise<void>>();
  private closing = false;

  constructor(private readonly settings: AgentEngineSettings) {}

  /** Queries running now. */
  get inFlight(): number {
    return this.running.size;
  }

  /** Aborts every running query and waits until their processes and workspaces are gone; later calls fail as shutting_down. */
  async close(): Promise<void> {
    this.closing = true;
    for (const controller of this.running.keys()) controller.abort(new ShuttingDown());
    await Promise.all(this.running.values());
    await this.settings.source.close();
    await this.settings.onClose?.();
  }

  private begin(request: ClaudeRequest, abortController: AbortController, usePool: boolean): Promise<Attempt> {
    return (usePool ? this.settings.source : this.settings.oneOff).acquire(request, abortController);
  }

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    if (this.closing) throw shuttingDownError();
    // One controller for the whole call, counted as running from the start (so a drain
    // waits for a call still being set up, or being handed from a pool process to a one-off).
    const call = new AbortController();
    let settle = () => undefined as void;
    this.running.set(call, new Promise<void>((resolve) => (settle = resolve)));
    const timer = setTimeout(() => call.abort(new TimeoutSignal()), request.timeoutMs);
    // The caller's signal may carry its own reason (the lifecycle ends calls at the end of a
    // drain with shutting_down); any other abort means the caller went away.
    const forgetCaller = whenAborted(request.signal, () => call.abort(abortReason(request.signal) ?? new CallerGone()));
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
    /** The upstream reported tokens for this attempt: it must not be run a second time. */
    let billed = false;
    try {
      let result: ClaudeEvent | undefined;
      let failure: unknown;
      const sent = new SentText();
      const observed = new ObservedUsage();
      try {
        for await (const message of attempt.messages) {
          received++;
          if (observed.see(message)) {
            billed = true;
            yield { type: 'usage', usage: observed.usage, model: observed.model };
          }
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
      if (attempt.pooled && failure && yielded === 0 && !billed) {
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
