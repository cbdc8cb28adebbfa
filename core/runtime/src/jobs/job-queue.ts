/** What a queue needs to know of a job to schedule it (the job itself stays in the store). */
export interface QueuedJob {
  readonly id: string;
  readonly owner: string;
  /** Jobs of this owner that may run at once (its per-key concurrency). */
  readonly maxRunning: number;
}

/** The reason a job's signal is aborted when it is cancelled (DELETE), on whichever instance runs it. */
export class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
}

/**
 * The reason a job's signal is aborted when this instance lost its hold on it (a shared
 * queue's lock on it lapsed, so another instance may be handed it): the run stops here.
 */
export class JobLost extends Error {
  override readonly name = 'JobLost';
}

/** What a queue tells its processor about one hand-out of a job. */
export interface JobHandOut {
  /** How many times an instance that held this job was lost (it died) before this hand-out; 0 in process. */
  readonly lost: number;
}

/** Runs one job to its end; `signal` fires when the job is cancelled (or lost). It never throws. */
export type JobProcessor = (id: string, signal: AbortSignal, handOut: JobHandOut) => Promise<void>;

/** What a cancel found: a waiting job taken off the queue, or a running one whose signal was aborted. */
export type CancelOutcome = 'dropped' | 'signalled';

/**
 * Hands jobs to a processor with a concurrency limit. The in-process queue is this
 * instance's (lost on restart); the BullMQ queue is shared through Redis by every replica
 * (any replica's worker runs any job, a cancel reaches the worker holding the job, and a job
 * whose instance died is handed out again).
 */
export interface JobQueue {
  /**
   * Whether jobs outlive this instance: another instance runs what this one leaves, so a job
   * that could not start because this instance drains goes back to the queue instead of
   * failing with shutting_down.
   */
  readonly shared: boolean;
  /** Starts handing jobs to `processor` (once). */
  start(processor: JobProcessor): void;
  /**
   * Adds a job, to run once a place is free (not before `delayMs`). Called by the processor
   * for the job it holds, it puts that job back once the processor returns.
   */
  enqueue(job: QueuedJob, delayMs?: number): Promise<void>;
  /** Cancels a job: a waiting one is dropped, a running one (on any instance) has its signal aborted; undefined when it is neither. */
  cancel(id: string, reason: unknown): Promise<CancelOutcome | undefined>;
  /**
   * Jobs waiting (in the whole queue, as last counted) and running on this instance, and since
   * when the oldest waiting job waits (epoch ms; absent when none does).
   */
  readonly size: { readonly waiting: number; readonly running: number; readonly oldestWaitingSince?: number };
  /** Stops handing out jobs; the running ones go on (the lifecycle drains them as calls). */
  close(): Promise<void>;
}
