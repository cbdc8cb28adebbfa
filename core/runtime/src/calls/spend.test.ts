import { parseConfig } from '../config/load-config';
import { ClaudeError, type ClaudeEvent, type ClaudeResult } from '../engine/types';
import { SpendMeter } from './spend';

// Default prices: sonnet is $3 in / $15 out per million tokens.
const pricing = parseConfig({}).pricing;
const RESERVED = 0.5;

const start = (model = 'claude-sonnet-x'): ClaudeEvent => ({ type: 'start', sessionId: 's', model, tools: [] });
const usage = (inputTokens: number, outputTokens: number, model?: string): ClaudeEvent => ({
  type: 'usage', usage: { inputTokens, outputTokens, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, ...(model ? { model } : {}),
});
const result: ClaudeResult = {
  type: 'result', output: {}, text: '', usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 1, cacheCreationInputTokens: 2 },
  costUsd: 0.0123, durationMs: 1, numTurns: 1, sessionId: 's', deniedTools: [], writtenFiles: [],
};

function meter(...events: ClaudeEvent[]): SpendMeter {
  const m = new SpendMeter();
  for (const e of events) m.see(e);
  return m;
}

describe('SpendMeter', () => {
  it('settles at the cost the engine reported, over anything the stream showed', () => {
    expect(meter(start(), usage(1000, 100), result).settle(undefined, RESERVED, pricing)).toEqual({ usage: result.usage, costUsd: 0.0123, basis: 'reported' });
  });

  it('prices the tokens the stream showed when the call ended without a result', () => {
    const spend = meter(start(), usage(1000, 100)).settle(new ClaudeError('crash', 'x'), RESERVED, pricing);
    expect(spend.basis).toBe('observed');
    expect(spend.costUsd).toBeCloseTo((1000 * 3 + 100 * 15) / 1_000_000, 12);
    expect(spend.usage.inputTokens).toBe(1000);
  });

  it("prices by the usage event's own model when it names one", () => {
    const spend = meter(start('claude-sonnet-x'), usage(1_000_000, 0, 'claude-haiku-y')).settle(new ClaudeError('timeout', 'x'), RESERVED, pricing);
    expect(spend).toMatchObject({ basis: 'observed', costUsd: 1 });
  });

  it('charges the reservation for tokens of a model missing from the price table', () => {
    const spend = meter(start('some-new-model'), usage(1000, 100)).settle(new ClaudeError('timeout', 'x'), RESERVED, pricing);
    expect(spend).toEqual({ usage: expect.objectContaining({ inputTokens: 1000, outputTokens: 100 }), costUsd: RESERVED, basis: 'reservation' });
  });

  it('charges the reservation when the engine started, nothing was observed and the failure spends', () => {
    for (const kind of ['timeout', 'aborted', 'shutting_down', 'max_turns', 'budget', 'invalid_output', 'interrupted'] as const) {
      expect(meter(start()).settle(new ClaudeError(kind, 'x'), RESERVED, pricing)).toEqual({ usage: expect.objectContaining({ inputTokens: 0 }), costUsd: RESERVED, basis: 'reservation' });
    }
  });

  it('charges nothing for a failure that does not spend, or for any failure before the engine started', () => {
    for (const kind of ['crash', 'bad_request', 'overloaded', 'auth', 'at_capacity', 'circuit_open'] as const) {
      expect(meter(start()).settle(new ClaudeError(kind, 'x'), RESERVED, pricing)).toMatchObject({ costUsd: 0, basis: 'none' });
    }
    expect(meter().settle(new ClaudeError('timeout', 'x'), RESERVED, pricing)).toMatchObject({ costUsd: 0, basis: 'none' });
    expect(meter(start()).settle(new Error('not a ClaudeError'), RESERVED, pricing)).toMatchObject({ costUsd: 0, basis: 'none' });
    expect(meter().settle(undefined, RESERVED, pricing)).toMatchObject({ costUsd: 0, basis: 'none' });
  });

  it('settles once: later calls return the first figure', () => {
    const m = meter(start());
    expect(m.final).toBeUndefined();
    const first = m.settle(new ClaudeError('timeout', 'x'), RESERVED, pricing);
    m.see(result);
    expect(m.settle(undefined, 2, pricing)).toBe(first);
    expect(m.final).toBe(first);
  });
});
