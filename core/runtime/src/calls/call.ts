import type { RepositorySource, TokenUsage } from '@ccp/plugin-api';
import type { Caller } from '../auth/caller';
import type { ClaudeEvent } from '../engine/types';

/** How a call reached the platform. */
export type Transport = 'http' | 'sse' | 'ws' | 'job' | 'mcp';

/** What a transport asks for, before anything is checked. */
export type CallRequest = OperationCallRequest | MessageCallRequest;

interface CallRequestBase {
  readonly requestId: string;
  readonly caller: Caller;
  /** The client address (the rate-limit bucket while authentication is off). */
  readonly clientIp?: string;
  readonly transport: Transport;
  /** The caller sees the answer as it is written (SSE, WebSocket). */
  readonly streaming: boolean;
  /** The background job this call runs (transport `job`). */
  readonly jobId?: string;
}

/** One operation call; with `session`, the first turn of a session created for it. */
export interface OperationCallRequest extends CallRequestBase {
  readonly kind: 'operation';
  readonly plugin: string;
  readonly operation: string;
  readonly body: unknown;
  /** `no-cache` when the caller sent Cache-Control: no-cache (the cache is not read). */
  readonly cacheControl?: 'no-cache';
  readonly session?: { readonly id: string };
}

/** A free-text message to a session. */
export interface MessageCallRequest extends CallRequestBase {
  readonly kind: 'message';
  readonly sessionId: string;
  readonly body: unknown;
}

/**
 * A planned call: plain data a job queue could store. Everything that can be refused
 * without running anything was checked when it was made (see plan.ts).
 */
export interface Call {
  readonly requestId: string;
  readonly plugin: string;
  /** The operation, or `message` for a free-text session turn. */
  readonly operation: string;
  /** The validated input (`{ text }` for a message). */
  readonly input: unknown;
  readonly caller: Caller;
  readonly clientIp?: string;
  readonly transport: Transport;
  readonly streaming: boolean;
  /** The background job this call runs (transport `job`). */
  readonly jobId?: string;
  readonly cacheControl?: 'no-cache';
  /** The session this call is a turn of. */
  readonly session?: { readonly id: string };
  /** The configured repository the input names (its `source`), for an operation that takes one. */
  readonly source?: RepositorySource;
  /** When the call must be over (epoch ms): the plugin's time limit from its start. */
  readonly deadline: number;
}

/** The body of a successful call. */
export interface CallResult {
  readonly result: unknown;
  /** This call's tokens (cache reads and writes apart) and its cost. */
  readonly usage: TokenUsage & { readonly costUsd: number };
  readonly durationMs: number;
  readonly sessionId: string;
}

/** Where a call's events go as it runs: the transport's one sink. */
export interface CallSink {
  event?(event: ClaudeEvent): void;
  /** Whether the answer came from the response cache. */
  cache?(status: 'hit' | 'miss' | 'bypass'): void;
}
