import type { Job, JobEvent, JobState } from './job';
import type { DeliveryAttempt } from './webhooks/delivery';

/** What a list of jobs may be narrowed to. */
export interface JobFilter {
  readonly state?: JobState;
  readonly plugin?: string;
  readonly limit: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
}

/** One page of a caller's jobs, newest first. */
export interface JobPage {
  readonly jobs: readonly Job[];
  readonly nextCursor?: string;
}

/** A remembered Idempotency-Key: the hash of the body it came with and the job it made. */
export interface IdempotencyRecord {
  readonly bodyHash: string;
  readonly jobId: string;
}

/**
 * Where jobs, their events, their webhook delivery attempts and Idempotency-Keys are kept.
 * The memory store is this instance's; a Redis store (jobs as hashes, events as a stream,
 * delivery attempts as a list, keys with SET NX + TTL, live events by pub/sub) implements
 * the same interface in a new file.
 */
export interface JobStore {
  create(job: Job): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /** Applies a change to a job and returns the new job (undefined when there is none). */
  update(id: string, change: (job: Job) => Job): Promise<Job | undefined>;
  /** The owner's jobs, newest first. */
  list(owner: string, filter: JobFilter): Promise<JobPage>;
  /** How many of the owner's jobs are queued. */
  countQueued(owner: string): Promise<number>;
  /** Appends an event (numbered from 1 per job) and tells the job's watchers. */
  append(id: string, event: Omit<JobEvent, 'seq'>): Promise<JobEvent>;
  /** The job's events after `seq` (all of them for 0). */
  events(id: string, afterSeq: number): Promise<readonly JobEvent[]>;
  /** Calls `listener` for each event appended from now on; returns how to stop. */
  watch(id: string, listener: (event: JobEvent) => void): () => void;
  /**
   * Appends a webhook delivery attempt to the job's record (numbered from 1 per job; kept and
   * deleted with the job); undefined when the job is gone.
   */
  recordDelivery(id: string, attempt: Omit<DeliveryAttempt, 'attempt'>): Promise<DeliveryAttempt | undefined>;
  /** The job's delivery attempts, oldest first. */
  deliveries(id: string): Promise<readonly DeliveryAttempt[]>;
  /**
   * Remembers `record` for the owner's key unless the key is already known (atomically);
   * returns the record already there, or undefined when this one was stored.
   */
  claimIdempotencyKey(owner: string, key: string, record: IdempotencyRecord, ttlMs: number): Promise<IdempotencyRecord | undefined>;
  /** Forgets a key (its submission was refused). */
  releaseIdempotencyKey(owner: string, key: string): Promise<void>;
  /** Deletes a job with everything stored with it (input, result, events, deliveries); false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Deletes the jobs that finished before `finishedBefore` and expired keys; returns how many jobs went. */
  sweep(finishedBefore: number): Promise<number>;
}
