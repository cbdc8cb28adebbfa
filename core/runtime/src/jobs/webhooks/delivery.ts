import { FINAL_STATES, jobDocument, type Job } from '../job';

/** How one delivery attempt ended. */
export type AttemptOutcome = 'delivered' | 'http_error' | 'timeout' | 'network_error' | 'blocked';

/** One attempt to deliver a job's webhook, as the store keeps it. Never holds a secret or the receiver's answer. */
export interface DeliveryAttempt {
  /** 1, 2, 3, … over the job's whole record (redeliveries continue the count). */
  readonly attempt: number;
  readonly trigger: 'automatic' | 'redelivery';
  /** Epoch ms the attempt started. */
  readonly at: number;
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why it failed without an answer (timeout, connection error, refused address). */
  readonly error?: string;
  /** Epoch ms of the retry this failure scheduled; absent when none follows. */
  readonly nextAttemptAt?: number;
}

/** Where a job's webhook stands: no webhook, the job still running, the first attempt under way, a retry scheduled, or done either way. */
export type DeliveryState = 'none' | 'waiting' | 'pending' | 'retrying' | 'delivered' | 'failed';

/** The event types a job's webhook carries. */
export type WebhookEventType = 'job.succeeded' | 'job.failed' | 'job.cancelled';

/** The message id of a job's webhook: the same for every attempt and redelivery, so a receiver can drop duplicates. */
export const webhookMessageId = (jobId: string): string => `msg_${jobId}`;

/** The body of a job's webhook (Standard Webhooks' `type`, `timestamp`, `data`): the job document as it ended. */
export function webhookPayload(job: Job): { type: WebhookEventType; timestamp: string; data: Record<string, unknown> } {
  const type: WebhookEventType = job.state === 'succeeded' ? 'job.succeeded' : job.state === 'cancelled' ? 'job.cancelled' : 'job.failed';
  return { type, timestamp: new Date(job.finishedAt ?? job.createdAt).toISOString(), data: jobDocument(job) };
}

export function deliveryState(job: Job, attempts: readonly DeliveryAttempt[]): DeliveryState {
  if (!job.webhook) return 'none';
  const last = attempts.at(-1);
  if (!last) return FINAL_STATES.has(job.state) ? 'pending' : 'waiting';
  if (last.outcome === 'delivered') return 'delivered';
  return last.nextAttemptAt !== undefined ? 'retrying' : 'failed';
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /v1/jobs/{id}/deliveries`: the job's webhook, where it stands, and every attempt. */
export function deliveriesDocument(job: Job, attempts: readonly DeliveryAttempt[]): Record<string, unknown> {
  return {
    jobId: job.id,
    ...(job.webhook ? { url: job.webhook, webhookId: webhookMessageId(job.id) } : {}),
    state: deliveryState(job, attempts),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      trigger: a.trigger,
      at: iso(a.at),
      durationMs: a.durationMs,
      outcome: a.outcome,
      ...(a.status !== undefined ? { status: a.status } : {}),
      ...(a.error !== undefined ? { error: a.error } : {}),
      ...(a.nextAttemptAt !== undefined ? { nextAttemptAt: iso(a.nextAttemptAt) } : {}),
    })),
  };
}
