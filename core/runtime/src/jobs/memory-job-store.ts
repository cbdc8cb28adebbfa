import { EventEmitter } from 'node:events';
import { FINAL_STATES, type Job, type JobEvent } from './job';
import type { IdempotencyRecord, JobFilter, JobPage, JobStore } from './job-store';
import type { DeliveryAttempt } from './webhooks/delivery';

interface Entry {
  job: Job;
  readonly events: JobEvent[];
  readonly deliveries: DeliveryAttempt[];
}

const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
const decodeCursor = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');

/**
 * Jobs in this process's memory: lost on restart, not shared by replicas (the in-process
 * queue's companion). Every method completes synchronously, so a claim is atomic.
 */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Entry>();
  /** Job ids by owner, oldest first. */
  private readonly byOwner = new Map<string, string[]>();
  private readonly keys = new Map<string, IdempotencyRecord & { readonly expiresAt: number }>();
  private readonly live = new EventEmitter();

  constructor(private readonly now: () => number = Date.now) {
    this.live.setMaxListeners(0);
  }

  async create(job: Job): Promise<void> {
    this.jobs.set(job.id, { job, events: [], deliveries: [] });
    const ids = this.byOwner.get(job.owner) ?? [];
    ids.push(job.id);
    this.byOwner.set(job.owner, ids);
  }

  async get(id: string): Promise<Job | undefined> {
    return this.jobs.get(id)?.job;
  }

  async update(id: string, change: (job: Job) => Job): Promise<Job | undefined> {
    const entry = this.jobs.get(id);
    if (!entry) return undefined;
    entry.job = change(entry.job);
    return entry.job;
  }

  async list(owner: string, filter: JobFilter): Promise<JobPage> {
    const ids = this.byOwner.get(owner) ?? [];
    let i = ids.length - 1;
    if (filter.cursor !== undefined) {
      const after = ids.lastIndexOf(decodeCursor(filter.cursor));
      i = after < 0 ? -1 : after - 1;
    }
    const jobs: Job[] = [];
    for (; i >= 0 && jobs.length < filter.limit; i--) {
      const job = this.jobs.get(ids[i] as string)?.job;
      if (!job || (filter.state && job.state !== filter.state) || (filter.plugin && job.plugin !== filter.plugin)) continue;
      jobs.push(job);
    }
    const more = jobs.length === filter.limit && ids.slice(0, i + 1).some((id) => {
      const job = this.jobs.get(id)?.job;
      return job && (!filter.state || job.state === filter.state) && (!filter.plugin || job.plugin === filter.plugin);
    });
    return { jobs, ...(more ? { nextCursor: encodeCursor((jobs[jobs.length - 1] as Job).id) } : {}) };
  }

  async countQueued(owner: string): Promise<number> {
    return (this.byOwner.get(owner) ?? []).filter((id) => this.jobs.get(id)?.job.state === 'queued').length;
  }

  async append(id: string, event: Omit<JobEvent, 'seq'>): Promise<JobEvent> {
    const entry = this.jobs.get(id);
    if (!entry) throw new Error(`no job ${id}`);
    const full: JobEvent = { ...event, seq: entry.events.length + 1 };
    entry.events.push(full);
    this.live.emit(id, full);
    return full;
  }

  async events(id: string, afterSeq: number): Promise<readonly JobEvent[]> {
    return (this.jobs.get(id)?.events ?? []).filter((e) => e.seq > afterSeq);
  }

  watch(id: string, listener: (event: JobEvent) => void): () => void {
    this.live.on(id, listener);
    return () => this.live.off(id, listener);
  }

  async recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined> {
    const entry = this.jobs.get(id);
    if (!entry) return undefined;
    const full: DeliveryAttempt = { ...attempt, attempt: entry.deliveries.length + 1 };
    entry.deliveries.push(full);
    return full;
  }

  async deliveries(id: string): Promise<readonly DeliveryAttempt[]> {
    return [...(this.jobs.get(id)?.deliveries ?? [])];
  }

  async claimIdempotencyKey(owner: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<IdempotencyRecord | undefined> {
    const id = `${owner}\u0000${key}`;
    const known = this.keys.get(id);
    if (known && known.expiresAt > this.now()) return { bodyHash: known.bodyHash, jobId: known.jobId };
    this.keys.set(id, { ...record, expiresAt: this.now() + ttlMs });
    return undefined;
  }

  async releaseIdempotencyKey(owner: string, key: string): Promise<void> {
    this.keys.delete(`${owner}\u0000${key}`);
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.jobs.get(id);
    if (!entry) return false;
    this.jobs.delete(id);
    const ids = this.byOwner.get(entry.job.owner)?.filter((j) => j !== id) ?? [];
    if (ids.length > 0) this.byOwner.set(entry.job.owner, ids);
    else this.byOwner.delete(entry.job.owner);
    return true;
  }

  async sweep(finishedBefore: number): Promise<number> {
    let gone = 0;
    for (const [id, { job }] of this.jobs) {
      if (!FINAL_STATES.has(job.state) || (job.finishedAt ?? Infinity) >= finishedBefore) continue;
      if (await this.delete(id)) gone++;
    }
    const now = this.now();
    for (const [k, record] of this.keys) if (record.expiresAt <= now) this.keys.delete(k);
    return gone;
  }
}
