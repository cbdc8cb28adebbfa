import type { TokenUsage } from '@ccp/plugin-api';
import type { Caller } from '../auth/caller';
import type { CallResult } from '../calls/call';

/** Where a job is in its life; the last three are final. */
export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The states a job never leaves. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(['succeeded', 'failed', 'cancelled']);

/** What a job has done so far, from its engine events. */
export interface JobProgress {
  /** API turns so far (the result's count once it answered). */
  readonly turns: number;
  /** Tool calls so far, and the distinct tool names. */
  readonly toolCalls: number;
  readonly tools: readonly string[];
  /** Tokens so far (summed over the job's API requests). */
  readonly usage: TokenUsage;
  /** Cost so far: the tokens priced with `pricing.models`, the reported cost once it answered. */
  readonly costUsd: number;
}

/** Progress before anything ran. */
export const NO_PROGRESS: JobProgress = {
  turns: 0,
  toolCalls: 0,
  tools: [],
  usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 },
  costUsd: 0,
};

/**
 * One background job: plain data a queue or a store can keep (the fields of the call it
 * runs, its id and owner, where it is and what it gave). Nothing in it belongs to this
 * process: no signal, no sink, no promise.
 */
export interface Job {
  readonly id: string;
  /** The caller's name: only the owner sees the job. */
  readonly owner: string;
  /** The request id of the submission; the run's audit line carries it. */
  readonly requestId: string;
  readonly caller: Caller;
  readonly clientIp?: string;
  readonly plugin: string;
  readonly operation: string;
  /** The operation input, validated at submission. */
  readonly input: unknown;
  readonly cacheControl?: 'no-cache';
  /** Where the job's end is delivered (a URL the allowlist let through at submission). */
  readonly webhook?: string;
  /** The batch the job was submitted in (its end is delivered with the batch's). */
  readonly batchId?: string;
  readonly state: JobState;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly progress: JobProgress;
  /** On success: the body a synchronous call answers with. */
  readonly result?: CallResult;
  /** On failure or cancellation: the problem document. */
  readonly error?: Record<string, unknown>;
}

/** A job as it is queued: who asked, what it runs, when. */
export function queuedJob(
  id: string,
  origin: { readonly requestId: string; readonly caller: Caller; readonly clientIp?: string },
  call: { readonly plugin: string; readonly operation: string; readonly input: unknown },
  createdAt: number,
  extra: { readonly cacheControl?: 'no-cache'; readonly webhook?: string; readonly batchId?: string } = {},
): Job {
  return {
    id, owner: origin.caller.name, requestId: origin.requestId, caller: origin.caller, ...(origin.clientIp ? { clientIp: origin.clientIp } : {}),
    plugin: call.plugin, operation: call.operation, input: call.input,
    ...(extra.cacheControl ? { cacheControl: extra.cacheControl } : {}),
    ...(extra.webhook ? { webhook: extra.webhook } : {}),
    ...(extra.batchId ? { batchId: extra.batchId } : {}),
    state: 'queued', createdAt, progress: NO_PROGRESS,
  };
}

/** One event of a job, as its stream shows it; `seq` is the SSE `id:` (1, 2, 3, … per job). */
export interface JobEvent {
  readonly seq: number;
  readonly type: 'start' | 'text' | 'tool' | 'result' | 'error';
  readonly data: unknown;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The job as the API shows it (`GET /v1/jobs/{id}`, the 202 of a submission). */
export function jobDocument(job: Job): Record<string, unknown> {
  return {
    id: job.id,
    state: job.state,
    plugin: job.plugin,
    operation: job.operation,
    createdAt: iso(job.createdAt),
    ...(job.startedAt !== undefined ? { startedAt: iso(job.startedAt) } : {}),
    ...(job.finishedAt !== undefined ? { finishedAt: iso(job.finishedAt) } : {}),
    progress: job.progress,
    ...(job.result ? { result: job.result } : {}),
    ...(job.error ? { error: job.error } : {}),
    ...(job.webhook ? { webhook: job.webhook } : {}),
    ...(job.batchId ? { batchId: job.batchId } : {}),
    links: { self: `/v1/jobs/${job.id}`, events: `/v1/jobs/${job.id}/events`, ...(job.webhook ? { deliveries: `/v1/jobs/${job.id}/deliveries` } : {}) },
  };
}
