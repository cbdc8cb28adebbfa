import { postJson, processesUnder, readEventStream, startTestRuntime, unitRuntime, FakeEngine, type TestRuntime } from '@ccp/testing';
import { MissingDependenciesError } from '@ccp/runtime';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { catalogue } from '../catalogue';

// The messages engine: commit-message (a tool-free YAML plugin) runs as one direct Messages
// API call through the official SDK, with no claude process, behind the same breaker,
// metrics, budget and audit as the agent engine.

const diff = '--- a/src/retry.ts\n+++ b/src/retry.ts\n@@ -1 +1 @@\n-export const MAX_RETRIES = 5;\n+export const MAX_RETRIES = 3;\n';

describe('engine: messages', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { plugins: catalogue.plugins, breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } }, baseDir: catalogue.baseDir });
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  it('answers with one API request carrying the plugin prompt, the diff and only the answer tool', async () => {
    const plugin = rt.runtime.registry.get('commit-message');
    expect(plugin?.engine).toBe('messages');
    const res = await postJson(`${rt.url}/v1/plugins/commit-message/write`, { diff, scope: 'retry' });
    const body = (await res.json()) as { result: unknown; usage: { inputTokens: number; costUsd: number } };
    expect(res.status).toBe(200);
    expect(plugin?.operations.get('write')?.definition.output.safeParse(body.result).success).toBe(true);
    const requests = rt.simulator.messageRequests();
    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent?.system).toBe(plugin?.definition.systemPrompt);
    expect(sent?.tools).toEqual(['StructuredOutput']);
    expect(sent?.body?.tool_choice).toEqual({ type: 'tool', name: 'StructuredOutput' });
    expect(JSON.stringify(sent?.messages)).toContain('MAX_RETRIES = 3');
    expect(body.usage.inputTokens).toBe(sent?.inputTokens);
    expect(body.usage.costUsd).toBeGreaterThan(0);
    expect(processesUnder(rt.workspaceRoot)).toEqual([]);
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_claude_queries_total{plugin="commit-message",outcome="success"} 1');
    expect(metrics).not.toMatch(/ccp_claude_spawns_total\{kind="cold"\} [1-9]/);
  });

  it('streams text as SSE and keeps a session history for the next turn', async () => {
    const res = await postJson(`${rt.url}/v1/plugins/commit-message/write`, { diff: `${diff}\n` }, { headers: { accept: 'text/event-stream' } });
    const events = await readEventStream(res);
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['start', 'text', 'result']));
    expect(events.at(-1)?.event).toBe('result');

    const created = (await (await postJson(`${rt.url}/v1/plugins/commit-message/sessions`, { input: { diff } })).json()) as { sessionId: string };
    const next = await postJson(`${rt.url}/v1/sessions/${created.sessionId}/messages`, { text: 'Make the subject shorter.' });
    expect(next.status).toBe(200);
    const last = rt.simulator.messageRequests().at(-1);
    // the second turn carries the first: the diff, the first answer, then the new message
    expect(last?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(last?.messages)).toContain('MAX_RETRIES = 3');
  });
});

describe('engine: messages behind the breaker', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { plugins: catalogue.plugins, breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 } }, baseDir: catalogue.baseDir });
  });
  afterAll(() => rt.close());

  it('opens on an overload storm', async () => {
    rt.simulator.setFallback({ fault: 529 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await postJson(`${rt.url}/v1/plugins/commit-message/write`, { diff: `${diff}${i}` })).status);
    rt.simulator.setFallback(undefined);
    expect(statuses).toEqual([503, 503, 503]);
    const before = rt.simulator.messageRequests().length;
    const open = await postJson(`${rt.url}/v1/plugins/commit-message/write`, { diff });
    expect(open.status).toBe(503);
    expect(((await open.json()) as { code: string }).code).toBe('circuit_open');
    expect(rt.simulator.messageRequests()).toHaveLength(before); // nothing sent while open
    expect(await rt.runtime.metrics.registry.metrics()).toContain('ccp_circuit_breaker_transitions_total{state="open"} 1');
  });
});

describe('engine: messages at boot', () => {
  it('refuses a plugin that declares tools, naming it', async () => {
    const withTools = { ...codeReviewPlugin, id: 'quick-review', engine: 'messages' };
    let error: unknown;
    try {
      await (await unitRuntime(new FakeEngine(), { builtins: [withTools] })).dispose();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MissingDependenciesError);
    expect((error as MissingDependenciesError).missing).toEqual([
      expect.stringContaining('plugins.quick-review: engine "messages" runs no tools, but the plugin declares Read, Grep, Glob'),
      expect.stringContaining('plugins.quick-review.operations.review: engine "messages" has no workspace'),
      expect.stringContaining('plugins.quick-review.operations.review: engine "messages" has no workspace, but the operation takes "source"; use engine "agent"'),
    ]);
  });
});
