import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { LogCapture } from '@ccp/testing';
import { AuditLog, type AuditFileSink } from '../../audit/audit-log';
import type { Caller } from '../../auth/caller';
import { parseConfig } from '../../config/load-config';
import { ClaudeError, type ClaudeEvent } from '../../engine/types';
import { createLogger } from '../../logging/logger';
import { Metrics } from '../../metrics/metrics';
import { buildRegistry } from '../../plugins/build-registry';
import type { Call, CallRequest, CallResult } from '../call';
import { CallContext } from '../context';
import { auditRefusal, auditStage } from './audit';

const config = parseConfig({});
const plugin = buildRegistry(config, [codeReviewPlugin], process.cwd()).get('code-review');
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'] };
const review = { files: [{ path: 'a.ts', content: 'x' }] };
const answer: CallResult = { result: 'ok', usage: { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 3, cacheCreationInputTokens: 4, costUsd: 0.001 }, durationMs: 0, sessionId: 's' };

function contextFor(over: Partial<Call> = {}): CallContext {
  if (!plugin) throw new Error('code-review is not registered');
  const call: Call = { requestId: 'r1', plugin: 'code-review', operation: 'review', input: review, caller: alice, transport: 'http', streaming: false, deadline: 0, ...over };
  return new CallContext(call, plugin, plugin.operations.get('review'), new AbortController().signal, {}, 0.5, config.pricing);
}

function setup(file?: AuditFileSink) {
  const log = new LogCapture();
  const metrics = new Metrics({ defaultMetrics: false });
  const audit = new AuditLog(createLogger('info', {}, log), file, 'refuse');
  return { log, metrics, audit, stage: auditStage(audit, metrics) };
}

/** The token and cost counters of code-review, as the metrics show them. */
async function counted(metrics: Metrics) {
  const tokens = Object.fromEntries((await metrics.tokens.get()).values.map((v) => [String(v.labels.type), v.value]));
  const cost = (await metrics.costUsd.get()).values.reduce((t, v) => t + v.value, 0);
  return { tokens, cost };
}

const start: ClaudeEvent = { type: 'start', sessionId: 's', model: 'claude-sonnet-x', tools: [] };
const result: ClaudeEvent = { type: 'result', output: {}, text: '', usage: answer.usage, costUsd: 0.001, durationMs: 1, numTurns: 1, sessionId: 's', deniedTools: [], writtenFiles: [] };

describe('audit stage', () => {
  it('writes one line for a call that answered, with its settled spend, and counts the same figure in the metrics', async () => {
    const { log, metrics, stage } = setup();
    const ctx = contextFor();
    const out = await stage(ctx, async () => {
      ctx.emit(start);
      ctx.emit(result);
      return answer;
    });
    expect(out).toBe(answer);
    expect(log.audit).toEqual([
      expect.objectContaining({ requestId: 'r1', key: 'alice', plugin: 'code-review', operation: 'review', transport: 'http', outcome: 'success', inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 3, cacheCreationInputTokens: 4, costUsd: 0.001, spendBasis: 'reported' }),
    ]);
    expect(log.audit[0]).not.toHaveProperty('sessionId');
    expect(await counted(metrics)).toEqual({ tokens: { input: 100, output: 20, cache_read: 3, cache_creation: 4 }, cost: 0.001 });
  });

  it('writes the problem code of a failed call with what it was seen to spend, and rethrows the failure', async () => {
    const { log, metrics, stage } = setup();
    const ctx = contextFor({ session: { id: 'sess-1' } });
    const failure = new ClaudeError('timeout', 'too slow');
    const run = stage(ctx, async () => {
      ctx.emit(start);
      ctx.emit({ type: 'usage', usage: { inputTokens: 1000, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 } });
      throw failure;
    });
    await expect(run).rejects.toBe(failure);
    expect(log.audit).toHaveLength(1);
    expect(log.audit[0]).toMatchObject({ outcome: 'upstream_timeout', inputTokens: 1000, costUsd: 0.003, spendBasis: 'observed', sessionId: 'sess-1' });
    expect(await counted(metrics)).toEqual({ tokens: { input: 1000 }, cost: log.audit[0]?.costUsd });
  });

  it('settles a call cut off after it started, with nothing observed, at its reservation', async () => {
    const { log, metrics, stage } = setup();
    const ctx = contextFor({ transport: 'sse' });
    await expect(stage(ctx, async () => {
      ctx.emit(start);
      throw new ClaudeError('aborted', 'the client went away');
    })).rejects.toMatchObject({ kind: 'aborted' });
    expect(log.audit).toEqual([expect.objectContaining({ outcome: 'client_closed_request', transport: 'sse', costUsd: 0.5, spendBasis: 'reservation' })]);
    expect((await counted(metrics)).cost).toBe(0.5);
  });

  it('writes cache_hit for a call a later stage answered from the cache, at no cost', async () => {
    const { log, metrics, stage } = setup();
    const ctx = contextFor();
    await stage(ctx, async () => {
      ctx.outcome = 'cache_hit';
      return answer;
    });
    expect(log.audit).toEqual([expect.objectContaining({ outcome: 'cache_hit', inputTokens: 0, costUsd: 0, spendBasis: 'none' })]);
    expect(await counted(metrics)).toEqual({ tokens: {}, cost: 0 });
  });

  it('refuses, and audits, a call it could not audit while the audit file fails under onFailure: refuse', async () => {
    const { log, stage } = setup({ health: () => ({ failing: true, backlogBytes: 0, droppedLines: 0, failedWrites: 1 }), close: async () => undefined });
    const next = jest.fn(async () => answer);
    await expect(stage(contextFor(), next)).rejects.toMatchObject({ code: 'audit_unavailable' });
    expect(next).not.toHaveBeenCalled();
    expect(log.audit.map((l) => l.outcome)).toEqual(['audit_unavailable']);
  });
});

describe('auditRefusal', () => {
  const base = { requestId: 'r9', caller: alice, transport: 'ws' as const, streaming: true };
  it('writes a zero-cost line for a call refused before it was planned, naming its session', () => {
    const { log, audit } = setup();
    const message: CallRequest = { ...base, kind: 'message', sessionId: 'sess-2', body: {} };
    const operation: CallRequest = { ...base, kind: 'operation', plugin: 'nope', operation: 'x', body: {}, session: { id: 'sess-3' } };
    auditRefusal(audit, message, new ClaudeError('shutting_down', 'x'), performance.now());
    auditRefusal(audit, operation, new Error('unexpected'), performance.now());
    expect(log.audit).toEqual([
      expect.objectContaining({ requestId: 'r9', key: 'alice', plugin: '', operation: 'message', transport: 'ws', outcome: 'shutting_down', inputTokens: 0, outputTokens: 0, costUsd: 0, spendBasis: 'none', sessionId: 'sess-2' }),
      expect.objectContaining({ plugin: 'nope', operation: 'x', outcome: 'internal_error', sessionId: 'sess-3' }),
    ]);
  });
});
