import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimBlock } from './types';

/** Roughly four characters a token, as the real tokenizer averages on English and code. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [text];
}

let nextId = 0;
function toolId(block: SimBlock): string {
  return block.type === 'tool_use' && block.id ? block.id : `toolu_sim_${++nextId}`;
}

/** Writes a Messages API answer as the `stream: true` SSE sequence the CLI expects. */
export async function streamAnswer(
  res: ServerResponse,
  model: string,
  inputTokens: number,
  blocks: readonly SimBlock[],
  chunkDelayMs = 0,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_sim_${Date.now()}` });
  let outputText = '';
  const send = async (type: string, data: Record<string, unknown>, delay = false) => {
    if (res.destroyed) throw new Error('client went away');
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    if (delay && chunkDelayMs > 0) await sleep(chunkDelayMs);
  };
  await send('message_start', {
    message: {
      id: `msg_sim_${Date.now()}`, type: 'message', role: 'assistant', model, content: [],
      stop_reason: null, stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'text') {
      await send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      for (const piece of pieces(block.text)) {
        outputText += piece;
        await send('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }, true);
      }
    } else {
      const json = JSON.stringify(block.input);
      outputText += json;
      await send('content_block_start', { index, content_block: { type: 'tool_use', id: toolId(block), name: block.name, input: {} } });
      await send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json } }, true);
    }
    await send('content_block_stop', { index });
  }
  const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  await send('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: estimateTokens(outputText) } });
  await send('message_stop', {});
  res.end();
}

/** Streams the start of a text answer, then an SSE `error` event, then ends the response. */
export function brokenStreamAnswer(res: ServerResponse, model: string, inputTokens: number, text: string, errorType = 'overloaded_error'): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_sim_${Date.now()}` });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', {
    message: {
      id: `msg_sim_${Date.now()}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null,
      usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (const piece of pieces(text)) send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } });
  send('error', { error: { type: errorType, message: `simulated ${errorType} after output began` } });
  res.end();
}

/** Writes the same answer as one JSON body, for `stream: false` requests. */
export function jsonAnswer(res: ServerResponse, model: string, inputTokens: number, blocks: readonly SimBlock[]): void {
  const content = blocks.map((b) =>
    b.type === 'text' ? { type: 'text', text: b.text } : { type: 'tool_use', id: toolId(b), name: b.name, input: b.input },
  );
  const body = {
    id: `msg_sim_${Date.now()}`, type: 'message', role: 'assistant', model, content,
    stop_reason: blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn', stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: estimateTokens(JSON.stringify(content)) },
  };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const FAULT_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

/** Writes an error the way the Messages API does. */
export function faultAnswer(res: ServerResponse, status: number, retryAfterSeconds?: number): void {
  const type = FAULT_TYPES[status] ?? 'api_error';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ type: 'error', error: { type, message: `simulated ${type} (${status})` } }));
}
