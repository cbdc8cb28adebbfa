import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { LogCapture } from '@ccp/testing';
import type { Caller } from '../../auth/caller';
import { parseConfig } from '../../config/load-config';
import { ClaudeError, type ClaudeEvent } from '../../engine/types';
import { BudgetLimit } from '../../limits/budget';
import { ConcurrencyLimit } from '../../limits/concurrency';
import { MemoryCounters } from '../../limits/counters';
import type { Limit } from '../../limits/limit';
import { createLogger } from '../../logging/logger';
import { buildRegistry } from '../../plugins/build-registry';
import type { Call, CallResult } from '../call';
import { CallContext } from '../context';
import { reserveStage } from './reserve';

const config = parseConfig({ limits: { maxConcurrentPerKey: 1 }, budgets: { reservationUsd: 0.5 } });
const plugin = buildRegistry(config, [codeReviewPlugin], process.cwd()).get('code-review');
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'], budget: { dailyUsd: 1 } };
const answer: CallResult = { result: 'ok', usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.125 }, durationMs: 0, sessionId: 's' };
const start: ClaudeEvent = { type: 'start', sessionId: 's', model: 'claude-sonnet-x', tools: [] };
const result: ClaudeEvent = { type: 'result', output: {}, text: '', usage: answer.usage, costUsd: 0.125, durationMs: 1, numTurns: 1, sessionId: 's', deniedTools: [], writtenFiles: [] };

function contextFor(): CallContext {
  if (!plugin) throw new Error('code-review is not registered');
  const call: Call = { requestId: 'r', plugin: 'code-review', operation: 'review', input: {}, caller: alice, transport: 'http', streaming: false, deadline: 0 };
  return new CallContext(call, plugin, plugin.operations.get('review'), new AbortController().signal, {}, 0.5, config.pricing);
}

function setup(extra: Limit[] = []) {
  const counters = new MemoryCounters();
  const concurrency = new ConcurrencyLimit(counters, config);
  const budget = new BudgetLimit(counters, config);
  const log = new LogCapture();
  const stage = reserveStage([concurrency, budget, ...extra], createLogger('info', {}, log));
  const held = async () => ({ inFlight: await concurrency.inFlight('alice'), spentUsd: (await budget.spentBy('alice')).spentTodayUsd });
  return { stage, held, log };
}

describe('reserve stage', () => {
  it('holds a slot and the reservation while the call runs, then settles to what it spent', async () => {
    const { stage, held } = setup();
    const ctx = contextFor();
    let during;
    await stage(ctx, async () => {
      during = await held();
      ctx.emit(start);
      ctx.emit(result);
      return answer;
    });
    expect(during).toEqual({ inFlight: 1, spentUsd: 0.5 });
    expect(await held()).toEqual({ inFlight: 0, spentUsd: 0.125 });
    expect(ctx.spend.final?.costUsd).toBe(0.125);
  });

  it('settles a failed call to its settled spend: the reservation once it started, nothing before', async () => {
    const { stage, held } = setup();
    const started = contextFor();
    await expect(stage(started, async () => {
      started.emit(start);
      throw new ClaudeError('timeout', 'x');
    })).rejects.toMatchObject({ kind: 'timeout' });
    expect(await held()).toEqual({ inFlight: 0, spentUsd: 0.5 });

    await expect(stage(contextFor(), async () => Promise.reject(new ClaudeError('crash', 'x')))).rejects.toMatchObject({ kind: 'crash' });
    expect(await held()).toEqual({ inFlight: 0, spentUsd: 0.5 });
  });

  it('refuses a call over a limit without running it, giving back what the earlier limits held', async () => {
    const { stage, held } = setup();
    const next = jest.fn(async () => answer);
    /** A call that starts and times out: it spends its $0.5 reservation of the $1 budget. */
    const timesOut = (during: () => Promise<void> = async () => undefined) => {
      const ctx = contextFor();
      return stage(ctx, async () => {
        await during();
        ctx.emit(start);
        throw new ClaudeError('timeout', 'x');
      }).catch(() => undefined);
    };
    await timesOut(() => expect(stage(contextFor(), next)).rejects.toMatchObject({ code: 'too_many_in_flight' }));
    await timesOut();
    await expect(stage(contextFor(), next)).rejects.toMatchObject({ code: 'budget_exhausted' });
    expect(next).not.toHaveBeenCalled();
    expect(await held()).toEqual({ inFlight: 0, spentUsd: 1 }); // the slot taken before the budget refused is free again
  });

  it('logs a settlement that fails and still answers', async () => {
    const broken: Limit = { name: 'broken', take: async () => ({ release: () => Promise.reject(new Error('redis went away')) }) };
    const { stage, log } = setup([broken]);
    expect(await stage(contextFor(), async () => answer)).toBe(answer);
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'could not settle a budget reservation', requestId: 'r', key: 'alice' }));
  });
});
