import type { SDKMessage, SDKUserMessage } from '@anthropic-ai/claude-agent-sdk';
import type { ClaudeProcess } from '../process/child-process';
import type { Workspace } from '../process/workspace';

/** The user messages of a streaming-input query, handed over one at a time. */
export class Inbox implements AsyncIterable<SDKUserMessage> {
  private readonly pending: SDKUserMessage[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  send(text: string): void {
    this.pending.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '' });
    this.wake?.();
  }

  /** Ends the input: the CLI then finishes and exits. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SDKUserMessage> {
    for (;;) {
      const next = this.pending.shift();
      if (next) yield next;
      else if (this.ended) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/** What a live process is fixed to: one plugin operation and model, for one caller. */
export const liveKeyOf = (r: { pluginId: string; operation: string; model?: string; caller?: string }) =>
  [r.pluginId, r.operation, r.model ?? '', r.caller ?? ''].join('\u0000');

/**
 * One `claude` process in streaming-input mode, answering one call at a time in the same
 * workspace folder. Between calls `clear()` sends `/clear`, which starts a new conversation
 * in the same process (the next API request carries nothing of the earlier call, and the
 * SDK's running cost and usage start again from zero), and the folder is emptied.
 */
export class LiveQuery {
  private iterator: AsyncIterator<SDKMessage> | undefined;
  /** Calls answered so far. */
  calls = 0;
  lastUsedAt = Date.now();

  constructor(
    readonly key: string,
    private readonly inbox: Inbox,
    readonly process: ClaudeProcess,
    readonly abortController: AbortController,
    readonly workspace: Workspace,
    private readonly onDiscard: () => Promise<void> = async () => undefined,
  ) {}

  /** Binds the SDK query (or its messages) that reads `inbox`. */
  attach(query: AsyncIterable<SDKMessage>): this {
    this.iterator = query[Symbol.asyncIterator]();
    return this;
  }

  get alive(): boolean {
    return this.process.alive && !this.abortController.signal.aborted;
  }

  /** Sends one user message and yields what the CLI answers, up to and including its result. */
  async *turn(prompt: string): AsyncGenerator<SDKMessage> {
    if (!this.iterator) throw new Error('the live query has no SDK query attached');
    this.inbox.send(prompt);
    for (;;) {
      const { value, done } = await this.iterator.next();
      if (done) throw new Error('the claude process ended its output');
      yield value;
      if (value.type === 'result') return;
    }
  }

  /** Starts a new conversation; true when the CLI confirmed it. */
  async clear(): Promise<boolean> {
    let reset = false;
    let ok = false;
    for await (const message of this.turn('/clear')) {
      if (message.type === 'conversation_reset') reset = true;
      if (message.type === 'result') ok = message.subtype === 'success' && !message.is_error;
    }
    return reset && ok;
  }

  /** Ends the process and removes its folders; never rejects. */
  async discard(): Promise<void> {
    this.inbox.end();
    this.abortController.abort();
    this.process.terminate();
    await this.process.ensureExited(1_000);
    await this.workspace.remove().catch(() => undefined);
    await this.onDiscard().catch(() => undefined);
  }
}
