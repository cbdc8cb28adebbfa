import { abortReason, ClaudeError, type Engine, type ClaudeEvent, type ClaudeRequest, type ClaudeResult } from '@ccp/runtime';

/** What the fake does for one call: answer with an output (at $0.001 unless `costUsd` says), throw, or wait for the caller's signal. */
export type FakeStep = { output: unknown; costUsd?: number } | { error: Error } | { waitForAbort: true };

/**
 * A scripted {@link Engine} for unit tests, given for the AGENT_ENGINE token: the
 * decorators (metered, admission, breaker) and the whole call pipeline still run around
 * it. It records every request it receives. End-to-end tests never use it.
 */
export class FakeEngine implements Engine {
  readonly requests: ClaudeRequest[] = [];
  private readonly steps: FakeStep[] = [];

  constructor(private readonly fallback: FakeStep = { output: {} }) {}

  /** Queues what the next calls do, in order. */
  script(...steps: FakeStep[]): this {
    this.steps.push(...steps);
    return this;
  }

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    this.requests.push(request);
    const step = this.steps.shift() ?? this.fallback;
    yield { type: 'start', sessionId: `fake-${this.requests.length}`, model: 'fake', tools: [...request.tools.allow] };
    if ('error' in step) throw step.error;
    if ('waitForAbort' in step) {
      if (!request.signal?.aborted) await new Promise<void>((resolve) => request.signal?.addEventListener('abort', () => resolve(), { once: true }));
      // As the agent engine ends an aborted call: with the reason given (a drain's
      // shutting_down), else as aborted.
      throw abortReason(request.signal) ?? new ClaudeError('aborted', 'the caller went away');
    }
    yield { type: 'text', text: 'fake answer' };
    const result: ClaudeResult = {
      type: 'result',
      output: step.output,
      text: JSON.stringify(step.output),
      usage: { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
      costUsd: step.costUsd ?? 0.001,
      durationMs: 5,
      numTurns: 1,
      sessionId: `fake-${this.requests.length}`,
      deniedTools: [],
      writtenFiles: [],
    };
    yield result;
  }
}
