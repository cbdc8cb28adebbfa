import { ClaudeError, type ClaudeEvent } from '../types';
import { FakeEngine, waitUntil } from '@ccp/testing';
import { Metrics } from '../../metrics/metrics';
import { BreakerEngine } from './breaker';

const settings = { enabled: true, errorThresholdPercentage: 50, volumeThreshold: 2, rollingWindowMs: 10_000, resetTimeoutMs: 200 };
const request = {
  requestId: 'r', pluginId: 'p', operation: 'o', systemPrompt: 's', prompt: 'p', files: [],
  tools: { allow: ['Read' as const], mode: 'dontAsk' as const }, timeoutMs: 1000,
};

async function drain(events: AsyncIterable<ClaudeEvent>): Promise<ClaudeEvent[] | ClaudeError> {
  const out: ClaudeEvent[] = [];
  try {
    for await (const e of events) out.push(e);
    return out;
  } catch (err) {
    return err as ClaudeError;
  }
}

describe('BreakerEngine', () => {
  let breaker: BreakerEngine;
  afterEach(() => breaker.shutdown());

  it('passes events through while closed', async () => {
    breaker = new BreakerEngine(new FakeEngine({ output: { ok: 1 } }), settings, new Metrics({ defaultMetrics: false }));
    const events = (await drain(breaker.run(request))) as ClaudeEvent[];
    expect(events.map((e) => e.type)).toEqual(['start', 'text', 'result']);
  });

  it('opens after upstream failures, then fails fast without calling the client', async () => {
    const inner = new FakeEngine().script({ error: new ClaudeError('overloaded', 'x') }, { error: new ClaudeError('overloaded', 'x') });
    const metrics = new Metrics({ defaultMetrics: false });
    breaker = new BreakerEngine(inner, settings, metrics);
    expect(await drain(breaker.run(request))).toMatchObject({ kind: 'overloaded' });
    expect(await drain(breaker.run(request))).toMatchObject({ kind: 'overloaded' });
    const rejected = await drain(breaker.run(request));
    expect(rejected).toMatchObject({ kind: 'circuit_open', retryAfterSeconds: 1 });
    expect(inner.requests).toHaveLength(2);
    expect(breaker.state).toBe('open');
    expect((await metrics.breakerState.get()).values[0]?.value).toBe(2);
  });

  it('does not count caller mistakes, aborts or agent limits', async () => {
    const inner = new FakeEngine().script(
      { error: new ClaudeError('bad_request', 'x') },
      { error: new ClaudeError('aborted', 'x') },
      { error: new ClaudeError('max_turns', 'x') },
      { error: new ClaudeError('budget', 'x') },
    );
    breaker = new BreakerEngine(inner, settings, new Metrics({ defaultMetrics: false }));
    for (let i = 0; i < 4; i++) await drain(breaker.run(request));
    expect(breaker.state).toBe('closed');
    expect(await drain(breaker.run(request))).toHaveLength(3);
  });

  it('keeps the breaker open when the trial query is abandoned by its caller', async () => {
    const inner = new FakeEngine({ output: {} }).script(
      { error: new ClaudeError('overloaded', 'x') },
      { error: new ClaudeError('overloaded', 'x') },
      { error: new ClaudeError('aborted', 'x') },
    );
    breaker = new BreakerEngine(inner, settings, new Metrics({ defaultMetrics: false }));
    await drain(breaker.run(request));
    await drain(breaker.run(request));
    // The breaker lets a trial through once resetTimeoutMs (200 ms) has passed since it opened.
    expect(await waitUntil(() => breaker.state === 'half_open', 5_000, 10)).toBe(true);
    expect(await drain(breaker.run(request))).toMatchObject({ kind: 'aborted' });
    expect(breaker.state).toBe('open');
  });

  it('survives a consumer that stops before the query fails', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const inner = new FakeEngine().script({ waitForAbort: true });
      breaker = new BreakerEngine(inner, settings, new Metrics({ defaultMetrics: false }));
      for await (const event of breaker.run(request)) {
        expect(event.type).toBe('start');
        break; // the inner query fails only after this, when it sees the abort
      }
      // The loop's end awaited the failed query; a rejection left unhandled would be reported
      // once the microtasks have run, before the next turn of the event loop.
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
      expect(breaker.state).toBe('closed');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('lets a trial query through after the reset time and closes on success', async () => {
    const inner = new FakeEngine({ output: {} }).script({ error: new ClaudeError('api_error', 'x') }, { error: new ClaudeError('crash', 'x') });
    breaker = new BreakerEngine(inner, settings, new Metrics({ defaultMetrics: false }));
    await drain(breaker.run(request));
    await drain(breaker.run(request));
    expect(breaker.state).toBe('open');
    // The breaker lets a trial through once resetTimeoutMs (200 ms) has passed since it opened.
    expect(await waitUntil(() => breaker.state === 'half_open', 5_000, 10)).toBe(true);
    expect(await drain(breaker.run(request))).toHaveLength(3);
    expect(breaker.state).toBe('closed');
  });
});
