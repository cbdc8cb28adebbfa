import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { LogCapture } from '@ccp/testing';
import { AuditLog } from '../audit/audit-log';
import type { Caller } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import { Lifecycle } from '../lifecycle/lifecycle';
import { BudgetLimit } from '../limits/budget';
import { MemoryCounters } from '../limits/counters';
import { createLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { buildRegistry } from '../plugins/build-registry';
import { MemorySessions } from '../sessions/memory-sessions';
import { MemoryTranscripts } from '../sessions/transcripts';
import type { CallRequest, CallResult } from './call';
import type { CallContext } from './context';
import type { Stage } from './pipeline';
import { Planner } from './plan';
import { CallRunner } from './runner';
import { auditStage } from './stages/audit';

const config = parseConfig({ budgets: { reservationUsd: 0.25 }, plugins: { 'code-review': { maxBudgetUsd: 2 } } });
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'] };
const answer: CallResult = { result: 'ok', usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, durationMs: 0, sessionId: 's' };
const request = (plugin = 'code-review'): CallRequest => ({
  kind: 'operation', requestId: 'r1', caller: alice, transport: 'sse', streaming: true, plugin, operation: 'review', body: { files: [{ path: 'a.ts', content: 'x' }] },
});

/** A runner whose last stage is `last`, behind the real audit stage. */
function runner(last: Stage) {
  const log = new LogCapture();
  const audit = new AuditLog(createLogger('info', {}, log));
  const lifecycle = new Lifecycle();
  const sessions = new MemorySessions(new MemoryTranscripts());
  const planner = new Planner(buildRegistry(config, [codeReviewPlugin], process.cwd()), { anthropicApiKey: 'sk-ant-unit-0000' }, sessions, config.sessions);
  const stages = [auditStage(audit, new Metrics({ defaultMetrics: false })), last];
  return { log, lifecycle, runner: new CallRunner(planner, lifecycle, stages, audit, new BudgetLimit(new MemoryCounters(), config), config.pricing) };
}

describe('CallRunner', () => {
  it('audits a call the planner refuses, and runs no stage for it', async () => {
    const last = jest.fn(async () => answer);
    const { runner: r, log } = runner(last);
    await expect(r.run(request('nope'))).rejects.toMatchObject({ code: 'plugin_not_found' });
    expect(last).not.toHaveBeenCalled();
    expect(log.audit).toEqual([expect.objectContaining({ requestId: 'r1', key: 'alice', plugin: 'nope', operation: 'review', transport: 'sse', outcome: 'plugin_not_found', costUsd: 0, spendBasis: 'none' })]);
  });

  it('refuses and audits every call as shutting_down while draining, before planning it', async () => {
    const last = jest.fn(async () => answer);
    const { runner: r, log, lifecycle } = runner(last);
    lifecycle.startDraining();
    await expect(r.run(request('nope'))).rejects.toMatchObject({ status: 503, code: 'shutting_down' });
    expect(log.audit.map((l) => l.outcome)).toEqual(['shutting_down']);
    expect(last).not.toHaveBeenCalled();
  });

  it('tracks a call in the lifecycle until it ends, however it ends', async () => {
    let seen = -1;
    const { runner: r, lifecycle } = runner(async () => {
      seen = lifecycle.running;
      throw new Error('boom');
    });
    await expect(r.run(request())).rejects.toThrow('boom');
    expect(seen).toBe(1);
    expect(lifecycle.running).toBe(0);
  });

  it("gives the stages a context with the plugin's reservation and a signal that the caller and the drain both fire", async () => {
    const entered: CallContext[] = [];
    let onEnter = () => undefined as void;
    const { runner: r, lifecycle } = runner(async (ctx) => {
      entered.push(ctx);
      onEnter();
      if (!ctx.signal.aborted) await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      throw ctx.signal.reason;
    });
    const running = () => new Promise<void>((resolve) => (onEnter = resolve));

    const caller = new AbortController();
    let inStage = running();
    const byCaller = r.run(request(), {}, caller.signal);
    await inStage;
    caller.abort(new Error('went away'));
    await expect(byCaller).rejects.toThrow('went away');
    expect(entered[0]?.reservationUsd).toBe(2);

    inStage = running();
    const byDrain = r.run(request(), {}, new AbortController().signal); // a caller that stays
    await inStage;
    await lifecycle.drain(0);
    await expect(byDrain).rejects.toMatchObject({ kind: 'shutting_down' });
  });
});
