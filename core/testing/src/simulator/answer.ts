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

/** One Server-Sent Event of a streamed answer. */
export interface SseEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/**
 * When each event of an answer goes out: a wait before the first byte, then a wait after
 * each event (by its position and type) before the next one. Nothing waits after the last.
 */
export interface Pace {
  readonly firstByteMs: number;
  gapAfter(index: number, type: string): number;
}

/** Today's pacing: at once, or `chunkDelayMs` after each content delta. */
export function chunkPace(chunkDelayMs = 0): Pace {
  return { firstByteMs: 0, gapAfter: (_i, type) => (type === 'content_block_delta' ? chunkDelayMs : 0) };
}

/** The wait an answer of `events` events takes under `pace`, in all. */
export function paceTotal(pace: Pace, events: readonly SseEvent[]): number {
  return events.slice(0, -1).reduce((sum, e, i) => sum + pace.gapAfter(i, e.type), pace.firstByteMs);
}

/** Splits `s` into pieces of at most `size` characters (one piece when `size` is 0). */
function chunks(s: string, size: number): string[] {
  if (size <= 0 || s.length <= size) return [s];
  return Array.from({ length: Math.ceil(s.length / size) }, (_, i) => s.slice(i * size, (i + 1) * size));
}

/**
 * The `stream: true` SSE sequence of a Messages API answer. Text goes out a word at a time;
 * a tool call's input in pieces of `jsonChunk` characters (one piece when 0).
 */
export function answerEvents(model: string, inputTokens: number, blocks: readonly SimBlock[], jsonChunk = 0): SseEvent[] {
  const events: SseEvent[] = [];
  let outputText = '';
  events.push({
    type: 'message_start',
    data: {
      message: {
        id: `msg_sim_${Date.now()}`, type: 'message', role: 'assistant', model, content: [],
        stop_reason: null, stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    },
  });
  for (const [index, block] of blocks.entries()) {
    if (block.type === 'text') {
      events.push({ type: 'content_block_start', data: { index, content_block: { type: 'text', text: '' } } });
      for (const piece of pieces(block.text)) {
        outputText += piece;
        events.push({ type: 'content_block_delta', data: { index, delta: { type: 'text_delta', text: piece } } });
      }
    } else {
      const json = JSON.stringify(block.input);
      outputText += json;
      events.push({ type: 'content_block_start', data: { index, content_block: { type: 'tool_use', id: toolId(block), name: block.name, input: {} } } });
      for (const part of chunks(json, jsonChunk)) events.push({ type: 'content_block_delta', data: { index, delta: { type: 'input_json_delta', partial_json: part } } });
    }
    events.push({ type: 'content_block_stop', data: { index } });
  }
  const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  events.push({ type: 'message_delta', data: { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: estimateTokens(outputText) } } });
  events.push({ type: 'message_stop', data: {} });
  return events;
}

/** Waits `ms` (the simulator's clock; tests may inject one that does not really wait). */
export type Sleep = (ms: number) => Promise<unknown>;

/** Writes the events as the SSE stream the CLI expects, paced by `pace`. */
export async function streamAnswer(res: ServerResponse, events: readonly SseEvent[], pace: Pace = chunkPace(), wait: Sleep = sleep): Promise<void> {
  if (pace.firstByteMs > 0) await wait(pace.firstByteMs);
  if (res.destroyed) throw new Error('client went away');
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_sim_${Date.now()}` });
  for (const [i, { type, data }] of events.entries()) {
    if (res.destroyed) throw new Error('client went away');
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    const gap = i < events.length - 1 ? pace.gapAfter(i, type) : 0;
    if (gap > 0) await wait(gap);
  }
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
