import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';

/**
 * Whether the text sent to the caller belongs to an API response that was thrown away. A
 * complete response streams `message_start` … `message_delta` (stop reason, usage)
 * `message_stop`, and the CLI's assistant messages for it (one per content block) carry
 * its id. A response that broke after its text was sent shows as a `message_stop` or a new
 * `message_start` before its `message_delta`, or an assistant message with another id
 * (the CLI's error message, or an answer it asked for again).
 */
export class SentText {
  private streamId: string | undefined;
  /** A response has started and not completed. */
  private open = false;
  /** Text of the open response has reached the caller. */
  private sent = false;

  text(): void {
    if (this.open) this.sent = true;
  }

  /** True when `message` shows that a response whose text the caller already has was abandoned. */
  abandoned(message: SDKMessage): boolean {
    const pending = this.open && this.sent;
    if (message.type === 'stream_event' && message.parent_tool_use_id === null) {
      const event = message.event;
      if (event.type === 'message_start') {
        this.streamId = event.message.id;
        this.open = true;
        this.sent = false;
        return pending;
      }
      if (event.type === 'message_delta') this.open = false;
      if (event.type === 'message_stop') {
        this.open = false;
        return pending;
      }
    } else if (message.type === 'assistant' && message.parent_tool_use_id === null) {
      return pending && message.message.id !== this.streamId;
    }
    return false;
  }
}
