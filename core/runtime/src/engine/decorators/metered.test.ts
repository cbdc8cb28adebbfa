import { Metrics } from '../../metrics/metrics';
import type { ClaudeEvent, ClaudeRequest, Engine } from '../types';
import { MeteredEngine, NOT_OFFERED_TOOL } from './metered';

const request: ClaudeRequest = { requestId: 'r', pluginId: 'p', operation: 'o', systemPrompt: 's', prompt: 'q', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1000 };

/** An engine that yields these events, then ends. */
const scripted = (events: ClaudeEvent[]): Engine => ({
  async *run() {
    yield* events;
  },
});

describe('MeteredEngine', () => {
  it('counts a call of a tool the query did not offer as denied, under one label, and not the offered ones', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const engine = new MeteredEngine(
      scripted([
        { type: 'start', sessionId: 's', model: 'm', tools: ['Read', 'mcp__p__count'] },
        { type: 'tool', name: 'Read', summary: 'Read a.ts' },
        { type: 'tool', name: 'mcp__p__count', summary: 'mcp__p__count' },
        { type: 'tool', name: 'Bash', summary: 'Bash' },
        { type: 'tool', name: 'TotallyMadeUp', summary: 'TotallyMadeUp' },
      ]),
      metrics,
    );
    for await (const _ of engine.run(request)) void _;
    const text = await metrics.registry.getSingleMetricAsString('ccp_claude_denied_tool_calls_total');
    expect(text).toContain(`ccp_claude_denied_tool_calls_total{plugin="p",tool="${NOT_OFFERED_TOOL}"} 2`);
    expect(text).not.toMatch(/tool="(Read|Bash|TotallyMadeUp|mcp__p__count)"/);
  });
});
