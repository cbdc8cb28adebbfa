import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { SentText } from './sent-text';

// Message shapes as the SDK yields them (only the fields SentText reads).
const ev = (event: Record<string, unknown>, parent: string | null = null) => ({ type: 'stream_event', parent_tool_use_id: parent, event }) as unknown as SDKMessage;
const start = (id: string, parent: string | null = null) => ev({ type: 'message_start', message: { id } }, parent);
const delta = ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } });
const done = [ev({ type: 'content_block_stop', index: 0 }), ev({ type: 'message_delta', delta: { stop_reason: 'end_turn' } }), ev({ type: 'message_stop' })];
const assistant = (id: string, parent: string | null = null) => ({ type: 'assistant', parent_tool_use_id: parent, message: { id, content: [] } }) as unknown as SDKMessage;

/** Feeds messages in order, marking text as sent after each text delta; the index of the first flag, or -1. */
function firstFlag(messages: SDKMessage[]): number {
  const sent = new SentText();
  for (const [i, m] of messages.entries()) {
    if (sent.abandoned(m)) return i;
    if (m === delta) sent.text();
  }
  return -1;
}

describe('SentText', () => {
  it('lets a complete answer through, with an assistant message per block before message_delta', () => {
    expect(firstFlag([start('m1'), delta, assistant('m1'), delta, assistant('m1'), ...done])).toBe(-1);
  });

  it('lets a tool loop through: several complete responses, each with its own id', () => {
    expect(firstFlag([start('m1'), delta, assistant('m1'), ...done, start('m2'), delta, assistant('m2'), ...done])).toBe(-1);
  });

  it('ignores a subagent stream', () => {
    expect(firstFlag([start('m1'), delta, start('s1', 'toolu_1'), assistant('s1', 'toolu_1'), assistant('m1'), ...done])).toBe(-1);
  });

  it('flags a stream closed without message_delta after text was sent (the CLI then asks again)', () => {
    const closed = [start('m1'), delta, ev({ type: 'content_block_stop', index: 0 }), ev({ type: 'message_stop' })];
    expect(firstFlag([...closed, assistant('m2')])).toBe(3);
  });

  it('flags the CLI error message that follows a broken stream', () => {
    expect(firstFlag([start('m1'), delta, assistant('f3a1c2d4-error'), ...done])).toBe(2);
  });

  it('flags a break after a completed block, in a later block of the same response', () => {
    expect(firstFlag([start('m1'), delta, assistant('m1'), delta, assistant('api-error')])).toBe(4);
  });

  it('flags a new response that starts before the one whose text was sent completed', () => {
    expect(firstFlag([start('m1'), delta, start('m2')])).toBe(2);
  });

  it('lets through the CLI retrying a response that failed before any text (api_retry, then a new response)', () => {
    const retry = { type: 'system', subtype: 'api_retry', attempt: 1 } as unknown as SDKMessage;
    expect(firstFlag([start('m1'), retry, start('m2'), delta, assistant('m2'), ...done])).toBe(-1);
  });

  it('lets through a structured answer: text, then a StructuredOutput tool call and a second response', () => {
    const toolUse = ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', name: 'StructuredOutput' } });
    expect(firstFlag([start('m1'), delta, assistant('m1'), toolUse, assistant('m1'), ...done, start('m2'), assistant('m2'), ...done])).toBe(-1);
  });

  it('does not flag a broken response that sent no text', () => {
    expect(firstFlag([start('m1'), ev({ type: 'message_stop' }), start('m2'), delta, assistant('m2'), ...done])).toBe(-1);
  });
});
