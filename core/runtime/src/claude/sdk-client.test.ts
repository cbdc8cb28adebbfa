import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClaudeEvent, ClaudeRequest } from '@ccp/plugin-api';
import type { Query, SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import type { LivePool } from '../capacity/live-pool';
import { createLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';
import { ClaudeProcess } from './child-process';
import { LiveQuery, Inbox } from './live-query';
import { SdkClaudeClient, type QueryFn } from './sdk-client';
import { createWorkspace } from './workspace';

// The hand-over from a pool process that cannot take a call to a one-off query, with fakes
// for the SDK's query() and the pool (no `claude` process runs here).

const result = { type: 'result', subtype: 'success', is_error: false, result: 'one-off answer', usage: { input_tokens: 1, output_tokens: 1 }, modelUsage: {}, total_cost_usd: 0, duration_ms: 1, num_turns: 1, session_id: 's', permission_denials: [] };

function fakeQuery(prompts: unknown[]): QueryFn {
  return ({ prompt }) => {
    prompts.push(prompt);
    return (async function* () {
      yield { type: 'system', subtype: 'init', session_id: 's', model: 'm', tools: [] } as unknown as SDKMessage;
      yield result as unknown as SDKMessage;
    })() as unknown as Query;
  };
}

const request: ClaudeRequest = { requestId: 'r', pluginId: 'p', operation: 'o', caller: 'alice', systemPrompt: 's', prompt: 'q', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 5_000 };

async function collect(events: AsyncGenerator<ClaudeEvent>): Promise<ClaudeEvent[]> {
  const out: ClaudeEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('SdkClaudeClient with the warm pool', () => {
  it('runs the call one-off when the leased process ended before it said anything', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-client-'));
    const dead = new LiveQuery('k', new Inbox(), new ClaudeProcess(), new AbortController(), await createWorkspace(root, []));
    dead.attach((async function* () {})() as unknown as Query); // its output is already over
    const released: boolean[] = [];
    const pool = { closing: false, lease: async () => dead, release: async (_l: LiveQuery, clean: boolean) => void released.push(clean) } as unknown as LivePool;
    const prompts: unknown[] = [];
    const metrics = new Metrics();
    const client = new SdkClaudeClient({ query: fakeQuery(prompts), env: {}, workspaceRoot: root, logger: createLogger('silent'), pool, metrics });

    const events = await collect(client.run(request));
    expect(events.at(-1)).toMatchObject({ type: 'result', output: 'one-off answer' });
    expect(released).toEqual([false]); // the dead process was ended, not parked
    expect(prompts).toEqual(['q']); // one one-off query, with the prompt as a string
    expect((await metrics.registry.getSingleMetricAsString('ccp_pool_leases_total'))).toContain('result="fallback"} 1');
    expect(client.inFlight).toBe(0);
  });

  it('refuses calls once closed, as shutting_down', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ccp-client-'));
    const client = new SdkClaudeClient({ query: fakeQuery([]), env: {}, workspaceRoot: root, logger: createLogger('silent') });
    await client.close();
    await expect(collect(client.run(request))).rejects.toMatchObject({ kind: 'shutting_down' });
  });
});
