import { batchDocument } from '../batch';
import type { BatchStore } from '../batch-store';
import type { JobStore } from '../job-store';
import { webhookPayload, type DeliveryAttempt } from './delivery';

/** What a webhook delivers: who it is for, where to, and the body (Standard Webhooks' type, timestamp, data). */
export interface WebhookSubject {
  readonly id: string;
  /** The caller whose secret signs the delivery. */
  readonly owner: string;
  readonly webhook?: string;
  payload(): { type: string; timestamp: string; data: Record<string, unknown> };
}

/** Where the dispatcher reads what to deliver and records each attempt: the job store, the batch store. */
export interface WebhookSource {
  load(id: string): Promise<WebhookSubject | undefined>;
  recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined>;
}

/** A job's webhook: the job's end, from the job store. */
export function jobWebhookSource(store: Pick<JobStore, 'get' | 'recordDelivery'>): WebhookSource {
  return {
    load: async (id) => {
      const job = await store.get(id);
      return job && { id: job.id, owner: job.owner, ...(job.webhook ? { webhook: job.webhook } : {}), payload: () => webhookPayload(job) };
    },
    recordDelivery: (id, attempt) => store.recordDelivery(id, attempt),
  };
}

/** A batch's webhook: the end of its last job, with the batch's counts and jobs. */
export function batchWebhookSource(batches: Pick<BatchStore, 'get' | 'recordDelivery'>, jobs: Pick<JobStore, 'get'>): WebhookSource {
  return {
    load: async (id) => {
      const batch = await batches.get(id);
      if (!batch) return undefined;
      const members = await Promise.all(batch.jobIds.map((jobId) => jobs.get(jobId)));
      return {
        id: batch.id,
        owner: batch.owner,
        ...(batch.webhook ? { webhook: batch.webhook } : {}),
        payload: () => ({ type: 'batch.ended', timestamp: new Date(batch.endedAt ?? batch.createdAt).toISOString(), data: batchDocument(batch, members) }),
      };
    },
    recordDelivery: (id, attempt) => batches.recordDelivery(id, attempt),
  };
}
