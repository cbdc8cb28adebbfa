import { type TokenUsage } from '@ccp/plugin-api';
import { ClaudeError, type ClaudeEvent, type ClaudeResult } from '../../types';
import type { SDKMessage, SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { kindForApiStatus, kindForResultSubtype } from '../../classify';

/** Tools the CLI adds for its own bookkeeping; never reported as the agent's tool calls. */
export const INTERNAL_TOOLS: ReadonlySet<string> = new Set(['StructuredOutput', 'DeferredToolPlaceholder']);

/** A short, content-free description of a tool call: the path or pattern, never file contents. */
export function summariseToolCall(name: string, input: Record<string, unknown>, cwd: string): string {
  const clip = (v: unknown) => String(v).replaceAll(cwd + '/', '').replaceAll(cwd, '.').slice(0, 120);
  if (typeof input.file_path === 'string') return `${name} ${clip(input.file_path)}`;
  if (typeof input.pattern === 'string') return `${name} ${clip(input.pattern)}${typeof input.path === 'string' ? ` in ${clip(input.path)}` : ''}`;
  if (typeof input.path === 'string') return `${name} ${clip(input.path)}`;
  return name;
}

function usageOf(result: SDKResultMessage): TokenUsage {
  const models = Object.values(result.modelUsage ?? {});
  if (models.length > 0) {
    const sum = (k: 'inputTokens' | 'outputTokens' | 'cacheReadInputTokens' | 'cacheCreationInputTokens') =>
      models.reduce((t, m) => t + (m[k] ?? 0), 0);
    return { inputTokens: sum('inputTokens'), outputTokens: sum('outputTokens'), cacheReadInputTokens: sum('cacheReadInputTokens'), cacheCreationInputTokens: sum('cacheCreationInputTokens') };
  }
  const u = result.usage;
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadInputTokens: u.cache_read_input_tokens ?? 0,
    cacheCreationInputTokens: u.cache_creation_input_tokens ?? 0,
  };
}

/** Turns the final result message into a result event, or throws the classified failure. */
export function resultEvent(result: SDKResultMessage, wantsStructured: boolean): ClaudeResult {
  if (result.subtype !== 'success') {
    const kind = kindForResultSubtype(result.subtype) ?? 'crash';
    throw new ClaudeError(kind, result.errors?.join('; ') || result.subtype);
  }
  if (result.is_error) {
    const status = result.api_error_status ?? undefined;
    throw new ClaudeError(kindForApiStatus(status), result.result || 'the Claude API returned an error', status);
  }
  const output = wantsStructured ? result.structured_output : result.result;
  if (wantsStructured && output === undefined) {
    throw new ClaudeError('invalid_output', 'the agent finished without calling the structured output tool');
  }
  return {
    type: 'result',
    output,
    text: result.result,
    usage: usageOf(result),
    costUsd: result.total_cost_usd ?? 0,
    durationMs: result.duration_ms,
    numTurns: result.num_turns,
    sessionId: result.session_id,
    deniedTools: (result.permission_denials ?? []).map((d) => d.tool_name),
    writtenFiles: [],
  };
}

/** Maps one SDK message to zero or more platform events (the result is handled apart). */
export function* mapMessage(message: SDKMessage, cwd: string): Generator<ClaudeEvent> {
  if (message.type === 'system' && message.subtype === 'init') {
    yield { type: 'start', sessionId: message.session_id, model: message.model, tools: message.tools };
  } else if (message.type === 'system' && message.subtype === 'api_retry') {
    yield { type: 'retry', attempt: message.attempt, status: message.error_status, delayMs: message.retry_delay_ms };
  } else if (message.type === 'stream_event') {
    const event = message.event;
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta' && message.parent_tool_use_id === null) {
      yield { type: 'text', text: event.delta.text };
    }
  } else if (message.type === 'assistant') {
    for (const block of message.message.content) {
      if (block.type === 'tool_use' && !INTERNAL_TOOLS.has(block.name)) {
        yield { type: 'tool', name: block.name, summary: summariseToolCall(block.name, (block.input ?? {}) as Record<string, unknown>, cwd) };
      }
    }
  }
}
