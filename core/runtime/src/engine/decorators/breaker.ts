import { EventEmitter, on } from 'node:events';
import { ClaudeError, type Engine, type ClaudeEvent, type ClaudeRequest } from '../types';
import CircuitBreaker from 'opossum';
import type { PlatformConfig } from '../../config/schema';
import { BREAKER_STATE, type Metrics } from '../../metrics/metrics';
import { countsAgainstBreaker } from '../classify';

type BreakerState = keyof typeof BREAKER_STATE;

/**
 * Guards a client with an opossum circuit breaker. A whole query is one breaker call:
 * it fails when the query ends in an upstream failure after the CLI's own retries
 * (see `classify.ts` for what counts). While open, queries fail at once with
 * `circuit_open` and the seconds until the breaker lets a trial query through.
 */
export class BreakerEngine implements Engine {
  private readonly breaker: CircuitBreaker<[() => Promise<void>], void>;
  private openedAt = 0;
  private current: BreakerState = 'closed';

  constructor(
    private readonly inner: Engine,
    private readonly settings: PlatformConfig['breaker'],
    metrics: Metrics,
  ) {
    this.breaker = new CircuitBreaker((action: () => Promise<void>) => action(), {
      timeout: false, // queries have their own deadline and abort; see SdkClaudeClient
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: settings.rollingWindowMs,
      resetTimeout: settings.resetTimeoutMs,
      enabled: settings.enabled,
      // A filtered error counts as a success, and a success closes a half-open breaker.
      // A trial query the caller abandoned proved nothing about Claude, so while half-open
      // an abort counts as a failure: the breaker stays open for another reset period.
      errorFilter: (err: unknown) => !countsAgainstBreaker(err) && !(this.breaker.halfOpen && err instanceof ClaudeError && err.kind === 'aborted'),
    });
    const enter = (state: BreakerState) => {
      this.current = state;
      if (state === 'open') this.openedAt = Date.now();
      metrics.breakerState.set(BREAKER_STATE[state]);
      metrics.breakerTransitions.inc({ state });
    };
    this.breaker.on('open', () => enter('open'));
    this.breaker.on('halfOpen', () => enter('half_open'));
    this.breaker.on('close', () => enter('closed'));
  }

  /** The breaker's state now. */
  get state(): BreakerState {
    return this.current;
  }

  /** Whole seconds until an open breaker lets a trial query through (at least 1). */
  retryAfterSeconds(): number {
    const left = this.openedAt + this.settings.resetTimeoutMs - Date.now();
    return Math.max(1, Math.ceil(left / 1000));
  }

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    const local = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, local.signal]) : local.signal;
    const emitter = new EventEmitter();
    const events = on(emitter, 'event', { close: ['end'] });
    const done = this.breaker.fire(async () => {
      for await (const event of this.inner.run({ ...request, signal })) emitter.emit('event', event);
    });
    done.then(
      () => emitter.emit('end'),
      (err: unknown) => {
        // Nobody listens once the consumer has stopped; emitting 'error' then would throw.
        if (emitter.listenerCount('error') > 0) emitter.emit('error', this.translate(err));
      },
    );
    try {
      for await (const [event] of events) yield event as ClaudeEvent;
    } finally {
      local.abort();
      await done.catch(() => undefined);
    }
  }

  /** Closes the breaker by hand (an operator knows the upstream is healthy again). */
  reset(): void {
    this.breaker.close();
  }

  /** Stops the breaker's timers. */
  shutdown(): void {
    this.breaker.shutdown();
  }

  private translate(err: unknown): unknown {
    if ((err as { code?: string }).code === 'EOPENBREAKER') {
      const wait = this.retryAfterSeconds();
      return new ClaudeError('circuit_open', `Claude queries are paused after repeated upstream failures; retry in ${wait} s`, undefined, wait);
    }
    return err;
  }
}
