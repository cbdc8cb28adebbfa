import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { ObservedUsage } from './observed-usage';

const stream = (event: Record<string, unknown>, parent: string | null = null) =>
  ({ type: 'stream_event', event, parent_tool_use_id: parent, uuid: 'u', session_id: 's' }) as unknown as SDKMessage;
const start = (id: string, input: number, cacheRead = 0) =>
  stream({ type: 'message_start', message: { id, model: 'claude-sonnet-x', usage: { input_tokens: input, output_tokens: 1, cache_read_input_tokens: cacheRead, cache_creation_input_tokens: 0 } } });
const delta = (output: number) => stream({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: output } });

describe('ObservedUsage', () => {
  it('sums every response: input from its start, output from its last delta', () => {
    const seen = new ObservedUsage();
    expect(seen.see(start('a', 1000, 50))).toBe(true);
    expect(seen.usage).toEqual({ inputTokens: 1000, outputTokens: 1, cacheReadInputTokens: 50, cacheCreationInputTokens: 0 });
    seen.see(delta(40));
    seen.see(start('b', 1200));
    seen.see(delta(7));
    expect(seen.usage).toEqual({ inputTokens: 2200, outputTokens: 47, cacheReadInputTokens: 50, cacheCreationInputTokens: 0 });
    expect(seen.model).toBe('claude-sonnet-x');
  });

  it('ignores messages that report no usage', () => {
    const seen = new ObservedUsage();
    expect(seen.see({ type: 'assistant' } as unknown as SDKMessage)).toBe(false);
    expect(seen.see(delta(5))).toBe(false); // a delta with no response started
    expect(seen.usage.inputTokens).toBe(0);
  });
});
