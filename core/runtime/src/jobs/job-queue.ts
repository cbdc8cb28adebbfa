/** What a queue needs to know of a job to schedule it (the job itself stays in the store). */
export interface QueuedJob {
  readonly id: string;
  readonly owner: string;
  /** Jobs of this owner that may run at once (its per-key concurrency). */
  readonly maxRunning: number;
}

/** Runs one job to its end; `signal` fires when the job is cancelled. It never throws. */
export type JobProcessor = (id: string, signal: AbortSignal) => Promise<void>;

/**
 * Hands jobs to a processor with a concurrency limit. The in-process queue is this
 * instance's (lost on restart); a BullMQ queue implements the same interface in a new file
 * (its processor gets an AbortSignal too; a cancel reaches the worker holding the job).
 */
export interface JobQueue {
  /** Starts handing jobs to `processor` (once). */
  start(processor: JobProcessor): void;
  /** Adds a job, to run once a place is free (not before `delayMs`). */
  enqueue(job: QueuedJob, delayMs?: number): Promise<void>;
  /** Cancels a job: a waiting one is dropped (true), a running one has its signal aborted (true); false when it is neither. */
  cancel(id: string, reason: unknown): Promise<boolean>;
  /** Jobs waiting and running now. */
  readonly size: { readonly waiting: number; readonly running: number };
  /** Stops handing out jobs; the running ones go on (the lifecycle drains them as calls). */
  close(): Promise<void>;
}
