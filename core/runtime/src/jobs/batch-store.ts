import type { Batch } from './batch';
import type { DeliveryAttempt } from './webhooks/delivery';

/**
 * Where batches are kept. The memory store is this instance's; a Redis store implements the
 * same interface (update must be atomic: two replicas finishing a batch's last two jobs at
 * once must not both end it).
 */
export interface BatchStore {
  create(batch: Batch): Promise<void>;
  get(id: string): Promise<Batch | undefined>;
  /** Applies a change atomically; returns the batch before and after (undefined when there is none). */
  update(id: string, change: (batch: Batch) => Batch): Promise<{ before: Batch; after: Batch } | undefined>;
  /** How many of the owner's batches have not ended. */
  countOpen(owner: string): Promise<number>;
  recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined>;
  deliveries(id: string): Promise<readonly DeliveryAttempt[]>;
  /** Deletes the batches that ended before `endedBefore`; returns how many went. */
  sweep(endedBefore: number): Promise<number>;
}
