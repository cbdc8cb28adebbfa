import { randomUUID } from 'node:crypto';
import type { TokenUsage } from '@ccp/plugin-api';
import type { SessionKey, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';
import type { PlatformConfig } from '../../config/schema';
import { recomputeCost } from '../../metrics/pricing';
import type { TranscriptStore } from '../../sessions/transcripts';
import { kindForApiStatus } from '../classify';
import { abortReason, ClaudeError, type ClaudeEvent, type ClaudeRequest, type ClaudeResult, type Engine } from '../types';
import type { MessageParam, MessagesApi, StreamEvent } from './messages-api';

/** The model of a plugin that names none when `claude.model` is unset (the CLI picks its own default). */
export const DEFAULT_MESSAGES_MODEL = 'claude-sonnet-5';

/** The tool the model must call with its answer when an operation has an output schema. */
export const ANSWER_TOOL = 'StructuredOutput';

/** What the messages engine needs besides each request. */
export interface MessagesEngineSettings {
  readonly api: MessagesApi;
  /** The model of plugins that name none (`claude.model`, else this engine's default). */
  readonly defaultModel: string;
  readonly maxTokens: number;
  readonly pricing: PlatformConfig['pricing'];
  /** Where a session's message history is kept (memory, or Redis shared by replicas). */
  readonly transcripts?: TranscriptStore;
}

const historyKey = (sessionId: string): SessionKey => ({ projectKey: 'messages-engine', sessionId, subpath: 'messages' });

class TimedOut extends Error {}

/**
 * The Messages API engine, for operations that need no tool and no workspace: one direct
 * request with the plugin's system prompt, the answer forced to the operation's JSON schema
 * through one tool the model must call, streamed into the same events as the agent engine
 * (start, text, usage, result). No process is started. A session keeps its messages in the
 * session store, so a later turn (on any replica) sends the conversation so far.
 */
export class MessagesEngine implements Engine {
  constructor(private readonly settings: MessagesEngineSettings) {}

  async *run(request: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    if (request.files.length > 0 || request.tree) throw new ClaudeError('bad_request', 'the messages engine has no workspace: an operation that places files or a repository tree must run on the agent engine');
    const started = performance.now();
    const model = request.model ?? this.settings.defaultModel;
    const sessionId = request.session?.id ?? randomUUID();
    const history = request.session?.resume ? await this.history(sessionId) : [];
    const messages: MessageParam[] = [...history, { role: 'user', content: request.prompt }];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimedOut()), request.timeoutMs);
    const follow = () => controller.abort(request.signal?.reason);
    if (request.signal?.aborted) follow();
    else request.signal?.addEventListener('abort', follow, { once: true });
    const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
    const tokens = (): TokenUsage => ({ inputTokens: usage.input, outputTokens: usage.output, cacheReadInputTokens: usage.cacheRead, cacheCreationInputTokens: usage.cacheWrite });
    let text = '';
    let json = '';
    let sentText = false;
    yield { type: 'start', sessionId, model, tools: [] };
    try {
      const events = this.settings.api.stream(
        {
          model,
          max_tokens: this.settings.maxTokens,
          system: request.systemPrompt,
          messages,
          ...(request.outputSchema
            ? { tools: [{ name: ANSWER_TOOL, description: 'Return the answer in the required format. Call it exactly once.', input_schema: request.outputSchema }], tool_choice: { type: 'tool' as const, name: ANSWER_TOOL } }
            : {}),
        },
        controller.signal,
      );
      for await (const event of events as AsyncIterable<StreamEvent>) {
        if (event.type === 'message_start') {
          const u = event.message.usage;
          usage.input = u.input_tokens ?? 0;
          usage.output = u.output_tokens ?? 0;
          usage.cacheRead = u.cache_read_input_tokens ?? 0;
          usage.cacheWrite = u.cache_creation_input_tokens ?? 0;
          yield { type: 'usage', usage: tokens(), model };
        } else if (event.type === 'content_block_delta') {
          if (event.delta.type === 'text_delta') {
            text += event.delta.text;
            sentText = true;
            yield { type: 'text', text: event.delta.text };
          } else if (event.delta.type === 'input_json_delta') json += event.delta.partial_json;
        } else if (event.type === 'message_delta') {
          if (typeof event.usage.output_tokens === 'number') usage.output = event.usage.output_tokens;
          yield { type: 'usage', usage: tokens(), model };
        }
      }
    } catch (err) {
      throw this.failure(err, controller.signal, request, sentText);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', follow);
    }
    let output: unknown = text;
    if (request.outputSchema) {
      try {
        output = JSON.parse(json);
      } catch {
        throw new ClaudeError('invalid_output', 'the model did not return its answer through the structured output tool');
      }
      const problem = request.checkOutput?.(output);
      if (problem) throw new ClaudeError('invalid_output', problem);
    }
    if (request.session) await this.remember(sessionId, request.prompt, request.outputSchema ? JSON.stringify(output) : text);
    const result: ClaudeResult = {
      type: 'result',
      output,
      text: request.outputSchema ? JSON.stringify(output) : text,
      usage: tokens(),
      costUsd: recomputeCost(model, tokens(), this.settings.pricing) ?? 0,
      durationMs: Math.round(performance.now() - started),
      numTurns: 1,
      sessionId,
      deniedTools: [],
      writtenFiles: [],
    };
    yield result;
  }

  private async history(sessionId: string): Promise<MessageParam[]> {
    const entries = (await this.settings.transcripts?.load(historyKey(sessionId))) ?? [];
    return entries.map((e) => e as unknown as MessageParam);
  }

  private async remember(sessionId: string, prompt: string, answer: string): Promise<void> {
    const turn = [{ role: 'user', content: prompt }, { role: 'assistant', content: answer }];
    await this.settings.transcripts?.append(historyKey(sessionId), turn as unknown as SessionStoreEntry[]);
  }

  private failure(err: unknown, signal: AbortSignal, request: ClaudeRequest, sentText: boolean): ClaudeError {
    if (signal.aborted) {
      if (signal.reason instanceof TimedOut) return new ClaudeError('timeout', `the query did not finish within ${request.timeoutMs} ms`);
      return abortReason(signal) ?? new ClaudeError('aborted', 'the caller went away');
    }
    if (err instanceof ClaudeError) return err;
    const status = (err as { status?: number }).status;
    if (sentText && request.streaming) return new ClaudeError('interrupted', 'the Claude API failed after part of the answer was streamed; not retried');
    if (typeof status === 'number') return new ClaudeError(kindForApiStatus(status), (err as Error).message, status);
    return new ClaudeError('api_error', err instanceof Error ? err.message : String(err));
  }
}

/**
 * Why a plugin cannot run on the messages engine: it declares tools (there is no agent loop
 * to run them), or an operation takes workspace files or a repository source (there is no workspace).
 */
export function messagesEngineProblems(plugin: { readonly id: string; readonly tools: { readonly allow: readonly string[]; readonly define?: readonly { readonly name: string }[] }; readonly operations: ReadonlyMap<string, { readonly inputSchema: Record<string, unknown> }> }): string[] {
  const problems: string[] = [];
  if (plugin.tools.allow.length > 0) problems.push(`plugins.${plugin.id}: engine "messages" runs no tools, but the plugin declares ${plugin.tools.allow.join(', ')}; declare no tools (put the input in the prompt), or use engine "agent"`);
  if (plugin.tools.define?.length) problems.push(`plugins.${plugin.id}: engine "messages" runs no tools, but the plugin defines ${plugin.tools.define.map((t) => t.name).join(', ')}; use engine "agent"`);
  for (const [name, op] of plugin.operations) {
    const properties = (op.inputSchema.properties ?? {}) as Record<string, unknown>;
    for (const field of ['files', 'source']) {
      if (field in properties) problems.push(`plugins.${plugin.id}.operations.${name}: engine "messages" has no workspace, but the operation takes "${field}"; use engine "agent"`);
    }
  }
  return problems;
}
