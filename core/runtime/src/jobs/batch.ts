import { FINAL_STATES, type Job, type JobState } from './job';
import type { DeliveryAttempt } from './webhooks/delivery';

/**
 * A batch: jobs submitted together (a CI run reviewing every changed package, a nightly pass
 * over many repositories), admitted all or none, with one webhook when the last one ends.
 * Plain data a store can keep; its counts come from its jobs.
 */
export interface Batch {
  readonly id: string;
  readonly owner: string;
  readonly requestId: string;
  /** The batch's jobs, in the order of the request; `customIds[i]` is the caller's name for `jobIds[i]`. */
  readonly jobIds: readonly string[];
  readonly customIds: readonly (string | undefined)[];
  /** Where the end of the whole batch is delivered. */
  readonly webhook?: string;
  /** Epoch ms. */
  readonly createdAt: number;
  readonly cancelRequestedAt?: number;
  /** When the last of its jobs ended. */
  readonly endedAt?: number;
}

/** Where a batch is: its jobs run (or wait), a cancel is under way, or every job has ended. */
export type BatchState = 'running' | 'cancelling' | 'ended';

export type BatchCounts = Record<JobState, number>;

export const batchState = (b: Batch): BatchState => (b.endedAt !== undefined ? 'ended' : b.cancelRequestedAt !== undefined ? 'cancelling' : 'running');

export function countsOf(jobs: readonly (Job | undefined)[]): BatchCounts {
  const counts: BatchCounts = { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const job of jobs) if (job) counts[job.state] += 1;
  return counts;
}

/** Whether every job of the batch has ended (a job past retention counts as ended). */
export const allEnded = (jobs: readonly (Job | undefined)[]): boolean => jobs.every((j) => !j || FINAL_STATES.has(j.state));

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/** The batch as the API shows it (`GET /v1/batches/{id}`, the 202 of a submission, the body of its webhook). */
export function batchDocument(batch: Batch, jobs: readonly (Job | undefined)[], deliveries: readonly DeliveryAttempt[] = []): Record<string, unknown> {
  return {
    id: batch.id,
    state: batchState(batch),
    createdAt: iso(batch.createdAt),
    ...(batch.cancelRequestedAt !== undefined ? { cancelRequestedAt: iso(batch.cancelRequestedAt) } : {}),
    ...(batch.endedAt !== undefined ? { endedAt: iso(batch.endedAt) } : {}),
    total: batch.jobIds.length,
    counts: countsOf(jobs),
    jobs: batch.jobIds.map((id, i) => ({
      id,
      ...(batch.customIds[i] !== undefined ? { customId: batch.customIds[i] } : {}),
      state: jobs[i]?.state ?? 'expired',
      links: { self: `/v1/jobs/${id}` },
    })),
    ...(batch.webhook ? { webhook: batch.webhook, deliveries: deliveries.map((d) => ({ attempt: d.attempt, at: iso(d.at), outcome: d.outcome, ...(d.status !== undefined ? { status: d.status } : {}) })) } : {}),
    links: { self: `/v1/batches/${batch.id}` },
  };
}
