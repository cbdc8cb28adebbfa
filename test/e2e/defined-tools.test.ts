import { join } from 'node:path';
import { LogCapture, postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// Tools a plugin defines, with the real CLI against the simulator: the model is offered
// exactly the declared set (mcp__<plugin>__<tool> at the Messages API), a call of one runs in
// the platform's process and its result reaches the model's next request; a tool that
// throws is a tool error and the call still succeeds; each tool call has its audit record.

const fixtures = join(__dirname, '../fixtures/plugins');
type Block = { type?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };

/** The tool results the model got in a request, by the id of the tool call. */
function toolResults(messages: readonly { role: string; content: unknown }[]): Block[] {
  return messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Block[]) : [])).filter((b) => b.type === 'tool_result');
}

describe('tools a plugin defines', () => {
  let rt: TestRuntime;
  let log: LogCapture;
  beforeEach(async () => {
    log = new LogCapture();
    rt = await startTestRuntime({ config: { logging: { level: 'info' }, plugins: { 'todo-counter': { module: './todo-counter-plugin.js' } } }, baseDir: fixtures, logDestination: log });
  });
  afterEach(() => rt.close());

  it('offers exactly the declared tools, runs one in process and returns its result to the model; a throwing tool is a tool error', async () => {
    rt.simulator.enqueue(
      { blocks: [{ type: 'text', text: 'Counting first.' }, { type: 'tool_use', id: 'toolu_count', name: 'mcp__todo-counter__count_todos', input: {} }, { type: 'tool_use', id: 'toolu_boom', name: 'mcp__todo-counter__explode', input: {} }] },
      { blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: { total: 3, worst: ['src/a.ts'], summary: 'Three TODOs.' } }] },
    );
    const files = [{ path: 'src/a.ts', content: '// TODO one\n// FIXME two\nexport const a = 1;\n' }, { path: 'src/b.ts', content: '// TODO three\n' }];
    const res = await postJson(`${rt.url}/v1/plugins/todo-counter/summarise`, { files });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { result: unknown }).result).toEqual({ total: 3, worst: ['src/a.ts'], summary: 'Three TODOs.' });
    const requests = rt.simulator.messageRequests().filter((r) => r.tools.length > 0);
    expect([...(requests[0]?.tools ?? [])].filter((t) => t !== 'StructuredOutput' && t !== 'DeferredToolPlaceholder').sort()).toEqual(['Glob', 'Read', 'mcp__todo-counter__count_todos', 'mcp__todo-counter__explode']);
    const results = toolResults(requests.at(-1)?.messages ?? []);
    const count = results.find((b) => b.tool_use_id === 'toolu_count');
    expect(count?.is_error).toBeFalsy();
    expect(JSON.stringify(count?.content)).toContain('\\"src/a.ts\\":2');
    const boom = results.find((b) => b.tool_use_id === 'toolu_boom');
    expect(boom?.is_error).toBe(true);
    expect(JSON.stringify(boom?.content)).toContain('explode failed: the TODO index is corrupt');
    const records = log.lines.filter((l) => l.msg === 'tool_call');
    expect(records).toEqual([
      expect.objectContaining({ audit: true, plugin: 'todo-counter', operation: 'summarise', tool: 'count_todos', outcome: 'success' }),
      expect.objectContaining({ audit: true, plugin: 'todo-counter', operation: 'summarise', tool: 'explode', outcome: 'error' }),
    ]);
    expect(JSON.stringify(records)).not.toContain('TODO one');
    expect(log.audit).toEqual([expect.objectContaining({ plugin: 'todo-counter', outcome: 'success' })]);
    expect(await rt.runtime.metrics.registry.getSingleMetricAsString('ccp_defined_tool_calls_total')).toContain('ccp_defined_tool_calls_total{plugin="todo-counter",tool="explode",outcome="error"} 1');
    // The declared tools were offered: none of their calls counts as refused.
    expect(await rt.runtime.metrics.registry.getSingleMetricAsString('ccp_claude_denied_tool_calls_total')).not.toContain('todo-counter');
  });

  it('denies a tool the plugin did not declare, and the call still answers', async () => {
    rt.simulator.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_bash', name: 'Bash', input: { command: 'cat /etc/passwd' } }] }, { auto: true });
    const res = await postJson(`${rt.url}/v1/plugins/todo-counter/summarise`, { files: [{ path: 'a.ts', content: '// TODO\n' }] });
    expect(res.status).toBe(200);
    const results = toolResults(rt.simulator.messageRequests().at(-1)?.messages ?? []);
    expect(results.find((b) => b.tool_use_id === 'toolu_bash')?.is_error).toBe(true);
    expect(log.lines.filter((l) => l.msg === 'tool_call')).toEqual([]);
    // Counted as a denied tool call (the name is the model's, so not a label of its own).
    expect(await rt.runtime.metrics.registry.getSingleMetricAsString('ccp_claude_denied_tool_calls_total')).toContain('ccp_claude_denied_tool_calls_total{plugin="todo-counter",tool="(not offered)"} 1');
  });
});
