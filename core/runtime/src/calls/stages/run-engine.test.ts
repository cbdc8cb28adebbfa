import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { FakeEngine, LogCapture } from '@ccp/testing';
import type { Caller } from '../../auth/caller';
import { parseConfig } from '../../config/load-config';
import type { ClaudeEvent, ClaudeRequest, Engine } from '../../engine/types';
import { createLogger } from '../../logging/logger';
import { buildRegistry } from '../../plugins/build-registry';
import type { Call, CallSink } from '../call';
import { CallContext } from '../context';
import { runEngineStage } from './run-engine';

const config = parseConfig({ plugins: { 'code-review': { model: 'claude-haiku-x', tools: ['Read'], maxTurns: 5, maxBudgetUsd: 0.75, timeoutMs: 1234 } } });
const plugin = buildRegistry(config, [codeReviewPlugin], process.cwd()).get('code-review');
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'] };
const review = { files: [{ path: 'a.ts', content: 'x' }, { path: 'b.ts', content: 'y' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };
const noCall = () => Promise.reject(new Error('next must not be called'));

function contextFor(kind: 'operation' | 'message', sink: CallSink = {}): CallContext {
  if (!plugin) throw new Error('code-review is not registered');
  const message = kind === 'message';
  const call: Call = {
    requestId: 'r1', plugin: 'code-review', operation: message ? 'message' : 'review', input: message ? { text: 'and now?' } : review, caller: alice,
    transport: 'sse', streaming: true, deadline: 0, ...(message ? { session: { id: 's1' } } : {}),
  };
  return new CallContext(call, plugin, message ? undefined : plugin.operations.get('review'), new AbortController().signal, sink, 0.75, config.pricing);
}

const stage = (engine: Engine, log = new LogCapture()) => runEngineStage(engine, createLogger('info', {}, log));

describe('run-engine stage', () => {
  it("builds the engine request from the plugin's declaration and the operator's config only", async () => {
    const engine = new FakeEngine({ output });
    const ctx = contextFor('operation');
    await stage(engine)(ctx, noCall);
    const sent = engine.requests[0] as ClaudeRequest;
    const { checkOutput, signal, ...rest } = sent;
    expect(rest).toEqual({
      requestId: 'r1', engine: 'agent', pluginId: 'code-review', operation: 'review', caller: 'alice',
      systemPrompt: codeReviewPlugin.systemPrompt, prompt: codeReviewPlugin.operations.review?.prepare(review, {}).prompt, files: review.files,
      tools: { allow: ['Read'], mode: 'dontAsk' }, model: 'claude-haiku-x', maxTurns: 5, maxBudgetUsd: 0.75, timeoutMs: 1234, streaming: true,
      outputSchema: plugin?.operations.get('review')?.outputSchema,
    });
    expect(signal).toBe(ctx.signal);
    expect(checkOutput?.(output)).toBeUndefined();
    expect(checkOutput?.({ summary: 1 })).toMatch(/does not match the output schema/);
  });

  it("answers with the operation's finished result, the call's usage and the engine's session, and passes every event on", async () => {
    const seen: ClaudeEvent['type'][] = [];
    const ctx = contextFor('operation', { event: (e) => seen.push(e.type) });
    const body = await stage(new FakeEngine({ output }))(ctx, noCall);
    expect(body).toEqual({
      result: { ...output, filesNotReviewed: ['b.ts'], resolved: [] }, usage: { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.001 },
      durationMs: expect.any(Number), sessionId: 'fake-1',
    });
    expect(seen).toEqual(['start', 'text', 'result']);
    expect(ctx.spend.settle(undefined, 0, config.pricing).basis).toBe('reported');
  });

  it('fails as invalid_output when the answer does not match the output schema, even if the engine passed it', async () => {
    await expect(stage(new FakeEngine({ output: { summary: 's' } }))(contextFor('operation'), noCall)).rejects.toMatchObject({ name: 'ClaudeError', kind: 'invalid_output' });
  });

  it('runs a message turn as free text in the session, without an output schema, and answers { text }', async () => {
    const engine = new FakeEngine({ output: 'plain words' });
    const ctx = contextFor('message');
    const prior = { usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, costUsd: 0.5 };
    ctx.turn = { id: 's1', resume: true, prior, files: [{ path: 'kept.ts', content: 'k' }] };
    const body = await stage(engine)(ctx, noCall);
    expect(body.result).toEqual({ text: JSON.stringify('plain words') });
    const sent = engine.requests[0];
    expect(sent).toMatchObject({ operation: 'message', prompt: 'and now?', files: [{ path: 'kept.ts', content: 'k' }], session: { id: 's1', resume: true, prior } });
    expect(sent).not.toHaveProperty('outputSchema');
    expect(sent).not.toHaveProperty('checkOutput');
  });

  it('fails as crash when the engine ends without a result', async () => {
    const silent: Engine = {
      async *run() {
        yield { type: 'start', sessionId: 's', model: 'm', tools: [] };
      },
    };
    await expect(stage(silent)(contextFor('operation'), noCall)).rejects.toMatchObject({ kind: 'crash' });
  });
});
