import type { TokenUsage } from '@ccp/plugin-api';
import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';

interface ResponseUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * What the upstream has billed so far, read from the stream: each API response reports its
 * input (and cache) tokens in `message_start` and its output tokens in `message_delta`. The
 * CLI forwards both as stream events (subagents' too), so a call that ends without a result
 * (cancelled, timed out, its process killed) can still be settled at what it spent.
 */
export class ObservedUsage {
  private readonly responses = new Map<string, ResponseUsage>();
  private current: string | undefined;
  private anonymous = 0;
  /** The model the stream names (the init message, or a response's start). */
  model: string | undefined;

  /** Reads one message; true when the totals changed. */
  see(message: SDKMessage): boolean {
    if (message.type === 'system' && message.subtype === 'init') {
      this.model = message.model;
      return false;
    }
    if (message.type !== 'stream_event') return false;
    const event = message.event;
    if (event.type === 'message_start') {
      const id = event.message.id || `anonymous-${++this.anonymous}`;
      const u = event.message.usage;
      this.current = id;
      this.model = event.message.model || this.model;
      this.responses.set(id, {
        input: u?.input_tokens ?? 0,
        output: u?.output_tokens ?? 0,
        cacheRead: u?.cache_read_input_tokens ?? 0,
        cacheWrite: u?.cache_creation_input_tokens ?? 0,
      });
      return true;
    }
    if (event.type === 'message_delta' && this.current) {
      const entry = this.responses.get(this.current);
      const u = event.usage as { output_tokens?: number | null; input_tokens?: number | null } | undefined;
      if (!entry || !u) return false;
      if (typeof u.output_tokens === 'number') entry.output = u.output_tokens;
      if (typeof u.input_tokens === 'number' && u.input_tokens > 0) entry.input = u.input_tokens;
      return true;
    }
    return false;
  }

  /** The totals over every response seen. */
  get usage(): TokenUsage {
    let inputTokens = 0;
    let outputTokens = 0;
    let cacheReadInputTokens = 0;
    let cacheCreationInputTokens = 0;
    for (const r of this.responses.values()) {
      inputTokens += r.input;
      outputTokens += r.output;
      cacheReadInputTokens += r.cacheRead;
      cacheCreationInputTokens += r.cacheWrite;
    }
    return { inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens };
  }
}
