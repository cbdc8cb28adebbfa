/**
 * The console's only way to the platform: the same public API any client uses, with the
 * key as `Authorization: Bearer`. The key lives in this module's memory and in the tab's
 * sessionStorage (so a reload keeps it; closing the tab forgets it), never in localStorage,
 * a cookie or a URL.
 */

import type { Usage } from './api-types';

export type { Me } from './api-types';

const STORAGE = 'ccp-console-key';
let key: string | undefined = sessionStorage.getItem(STORAGE) ?? undefined;

/** The key in use, if signed in. */
export const currentKey = (): string | undefined => key;

/** Keeps the key for this tab. */
export function setKey(next: string | undefined): void {
  key = next;
  if (next) sessionStorage.setItem(STORAGE, next);
  else sessionStorage.removeItem(STORAGE);
}

/** An RFC 9457 problem as the platform answers it. */
export interface Problem {
  readonly status: number;
  readonly code?: string;
  readonly title?: string;
  readonly detail?: string;
  readonly errors?: readonly { field: string; message: string }[];
}

/** A non-2xx answer, with its problem document. */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return { accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...extra };
}

async function problemOf(res: Response): Promise<Problem> {
  try {
    return { status: res.status, ...((await res.json()) as object) };
  } catch {
    return { status: res.status, title: res.statusText };
  }
}

/** A JSON request; throws {@link ApiError} on a problem. */
export async function api<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new ApiError(await problemOf(res));
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A text answer (a result format such as SARIF or Markdown). */
export async function apiText(path: string, accept: string): Promise<string> {
  const res = await fetch(path, { headers: headers({ accept }) });
  if (!res.ok) throw new ApiError(await problemOf(res));
  return res.text();
}

/** One Server-Sent Event. */
export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

/**
 * Sends a request that answers with Server-Sent Events and calls `onEvent` for each as it
 * arrives. Aborting `signal` closes the connection, which ends the call on the server.
 */
export async function stream(method: string, path: string, body: unknown, onEvent: (e: StreamEvent) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(path, {
    method,
    headers: headers({ accept: 'text/event-stream', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal,
  });
  if (!res.ok || !res.body) throw new ApiError(await problemOf(res));
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length === 0) continue; // a keep-alive comment
      let parsed: unknown = data.join('\n');
      try {
        parsed = JSON.parse(parsed as string);
      } catch {
        // not JSON: hand it on as text
      }
      onEvent({ event, data: parsed });
    }
  }
}

/** A JSON Schema as the platform publishes it. */
export type Schema = Record<string, unknown>;

/** An operation as `GET /v1/plugins/{id}` describes it. */
export interface OperationInfo {
  readonly name: string;
  readonly description: string;
  readonly path: string;
  readonly formats: readonly { name: string; mediaType: string; description?: string }[];
  readonly inputSchema?: Schema;
  readonly resultSchema?: Schema;
  readonly example?: unknown;
}

/** A plugin as `GET /v1/plugins/{id}` describes it. */
export interface PluginInfo {
  readonly id: string;
  readonly version: string;
  readonly description: string;
  readonly engine: string;
  readonly tools: { readonly allow: readonly string[]; readonly mode: string };
  readonly model?: string;
  readonly maxTurns?: number;
  readonly operations: readonly OperationInfo[];
}

/** The body of a successful call. */
export interface CallResult {
  readonly result: unknown;
  readonly usage: Usage;
  readonly durationMs: number;
  readonly sessionId: string;
}
