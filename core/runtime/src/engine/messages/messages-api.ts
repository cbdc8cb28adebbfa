import Anthropic from '@anthropic-ai/sdk';
import type { Secrets } from '../../config/schema';

/** One message of a conversation, as the Messages API takes it. */
export interface MessageParam {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A streamed event, as much of it as the engine reads. */
export type StreamEvent =
  | { type: 'message_start'; message: { usage: { input_tokens?: number | null; output_tokens?: number | null; cache_read_input_tokens?: number | null; cache_creation_input_tokens?: number | null } } }
  | { type: 'content_block_delta'; delta: { type: 'text_delta'; text: string } | { type: 'input_json_delta'; partial_json: string } | { type: 'thinking_delta' | 'signature_delta' | 'citations_delta' } }
  | { type: 'message_delta'; usage: { output_tokens?: number | null } }
  | { type: 'content_block_start' | 'content_block_stop' | 'message_stop' | 'ping' };

/** What the engine sends. */
export interface StreamParams {
  readonly model: string;
  readonly max_tokens: number;
  readonly system: string;
  readonly messages: readonly MessageParam[];
  readonly tools?: readonly { name: string; description: string; input_schema: Record<string, unknown> }[];
  readonly tool_choice?: { type: 'tool'; name: string };
}

/** The Messages API as the engine uses it (the official SDK; injectable for tests). */
export interface MessagesApi {
  stream(params: StreamParams, signal: AbortSignal): AsyncIterable<StreamEvent>;
}

/**
 * The official client (`@anthropic-ai/sdk`) with the platform's credentials and base URL.
 * Its own retries (`claude.maxRetries`, honouring Retry-After) happen before a response
 * starts, as the CLI's do; nothing is retried once the stream began.
 */
export function anthropicMessagesApi(secrets: Secrets, maxRetries: number): MessagesApi {
  const client = new Anthropic({
    ...(secrets.anthropicApiKey ? { apiKey: secrets.anthropicApiKey } : { apiKey: null, authToken: secrets.claudeOauthToken ?? null }),
    ...(secrets.anthropicBaseUrl ? { baseURL: secrets.anthropicBaseUrl } : {}),
    maxRetries,
  });
  return {
    stream: (params, signal) =>
      ({
        [Symbol.asyncIterator]: async function* () {
          const stream = await client.messages.create({ ...(params as unknown as Anthropic.MessageCreateParamsNonStreaming), stream: true }, { signal });
          for await (const event of stream) yield event as unknown as StreamEvent;
        },
      }) as AsyncIterable<StreamEvent>,
  };
}
