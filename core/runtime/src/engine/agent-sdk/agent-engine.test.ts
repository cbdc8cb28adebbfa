import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Query, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { createLogger } from '../../logging/logger';
import { Metrics } from '../../metrics/metrics';
import { shuttingDownError, type ClaudeEvent, type ClaudeRequest } from '../types';
import { AgentEngine } from './agent-engine';
import { ClaudeProcess } from './process/child-process';
import { ProcessLauncher } from './process/launcher';
import { createWorkspace } from './process/workspace';
import type { LivePool } from './pool/live-pool';
import { Inbox, LiveQuery } from './pool/live-query';
import { OneOffSource, PooledSource } from './pool/process-source';
import type { QueryFn } from './sdk';

// The agent engine with fakes for the SDK's query() and the pool (no `claude` process runs here).

const result = { type: 'result', subtype: 'success', is_error: false, result: 'one-off answer', usage: { input_tokens: 1, output_tokens: 1 }, modelUsage: {}, total_cost_usd: 0, duration_ms: 1, num_turns: 1, session_id: 's', permission_denials: [] };
const init = { type: 'system', subtype: 'init', session_id: 's', model: 'claude-sonnet-x', tools: [] };
const started = { type: 'stream_event', parent_tool_use_id: null, event: { type: 'message_start', message: { id: 'm1', model: 'claude-sonnet-x', usage: { input_tokens: 900, output_tokens: 1 } } } };

function fakeQuery(prompts: unknown[], script: unknown[] = [init, result], hang = false): QueryFn {
  return ({ prompt, options }) => {
    prompts.push(prompt);
    return (async function* () {
      for (const m of script) yield m as SDKMessage;
      const signal = options?.abortController?.signal;
      if (hang && !signal?.aborted) await new Promise((resolve) => signal?.addEventListener('abort', resolve));
    })() as unknown as Query;
  };
}

const request: ClaudeRequest = { requestId: 'r', pluginId: 'p', operation: 'o', caller: 'alice', systemPrompt: 's', prompt: 'q', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 5_000 };

async function collect(events: AsyncIterable<ClaudeEvent>): Promise<ClaudeEvent[]> {
  const out: ClaudeEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

async function engineWith(query: QueryFn, pool?: LivePool, metrics = new Metrics()) {
  const root = await mkdtemp(join(tmpdir(), 'ccp-engine-'));
  const launcher = new ProcessLauncher({ sdk: { query, prewarm: () => Promise.reject(new Error('no spares')) }, env: {}, workspaceRoot: root, metrics });
  const oneOff = new OneOffSource(launcher, createLogger('silent'));
  return { root, engine: new AgentEngine({ source: pool ? new PooledSource(pool, oneOff) : oneOff, oneOff, env: {}, logger: createLogger('silent'), metrics }) };
}

describe('AgentEngine', () => {
  it('runs the call one-off when the leased pool process ended before it said anything', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-engine-'));
    const dead = new LiveQuery('k', new Inbox(), new ClaudeProcess(), new AbortController(), await createWorkspace(root, []));
    dead.attach((async function* () {})() as unknown as Query); // its output is already over
    const released: boolean[] = [];
    const pool = { closing: false, lease: async () => dead, release: async (_l: LiveQuery, clean: boolean) => void released.push(clean), close: async () => undefined } as unknown as LivePool;
    const prompts: unknown[] = [];
    const metrics = new Metrics();
    const { engine } = await engineWith(fakeQuery(prompts), pool, metrics);

    const events = await collect(engine.run(request));
    expect(events.at(-1)).toMatchObject({ type: 'result', output: 'one-off answer' });
    expect(released).toEqual([false]); // the dead process was ended, not parked
    expect(prompts).toEqual(['q']); // one one-off query, with the prompt as a string
    expect(await metrics.registry.getSingleMetricAsString('ccp_pool_leases_total')).toContain('result="fallback"} 1');
    expect(engine.inFlight).toBe(0);
  });

  it('reports the tokens the stream showed before the call was cut off, and keeps the reason it was ended for', async () => {
    const { engine } = await engineWith(fakeQuery([], [init, started], true));
    const caller = new AbortController();
    const seen: ClaudeEvent[] = [];
    const run = (async () => {
      for await (const e of engine.run({ ...request, signal: caller.signal })) {
        seen.push(e);
        if (e.type === 'usage') caller.abort(shuttingDownError());
      }
    })();
    await expect(run).rejects.toMatchObject({ kind: 'shutting_down' });
    expect(seen).toContainEqual({ type: 'usage', usage: { inputTokens: 900, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, model: 'claude-sonnet-x' });
  });

  it('refuses calls once closed, as shutting_down', async () => {
    const { engine } = await engineWith(fakeQuery([]));
    await engine.close();
    await expect(collect(engine.run(request))).rejects.toMatchObject({ kind: 'shutting_down' });
  });
});
