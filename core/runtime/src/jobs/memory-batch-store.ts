import type { Batch } from './batch';
import type { BatchStore } from './batch-store';
import type { DeliveryAttempt } from './webhooks/delivery';

/** Batches in this instance's memory (lost on restart, like the in-process queue's jobs). */
export class MemoryBatchStore implements BatchStore {
  private readonly batches = new Map<string, { batch: Batch; deliveries: DeliveryAttempt[] }>();

  async create(batch: Batch): Promise<void> {
    this.batches.set(batch.id, { batch, deliveries: [] });
  }

  async get(id: string): Promise<Batch | undefined> {
    return this.batches.get(id)?.batch;
  }

  async update(id: string, change: (batch: Batch) => Batch): Promise<{ before: Batch; after: Batch } | undefined> {
    const entry = this.batches.get(id);
    if (!entry) return undefined;
    const before = entry.batch;
    entry.batch = change(before);
    return { before, after: entry.batch };
  }

  async countOpen(owner: string): Promise<number> {
    let n = 0;
    for (const { batch } of this.batches.values()) if (batch.owner === owner && batch.endedAt === undefined) n += 1;
    return n;
  }

  async recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined> {
    const entry = this.batches.get(id);
    if (!entry) return undefined;
    const full: DeliveryAttempt = { ...attempt, attempt: entry.deliveries.length + 1 };
    entry.deliveries.push(full);
    return full;
  }

  async deliveries(id: string): Promise<readonly DeliveryAttempt[]> {
    return [...(this.batches.get(id)?.deliveries ?? [])];
  }

  async sweep(endedBefore: number): Promise<number> {
    let n = 0;
    for (const [id, { batch }] of this.batches) {
      if (batch.endedAt !== undefined && batch.endedAt < endedBefore) {
        this.batches.delete(id);
        n += 1;
      }
    }
    return n;
  }
}
