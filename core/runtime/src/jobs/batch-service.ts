import { randomUUID } from 'node:crypto';
import { InputError, NotFoundError, RateLimitedError, type FieldError, type Logger } from '@ccp/plugin-api';
import type { AuditLog } from '../audit/audit-log';
import type { OperationCallRequest } from '../calls/call';
import type { Planner, Planned } from '../calls/plan';
import { auditRefusal } from '../calls/stages/audit';
import { toPlatformError } from '../calls/to-problem';
import type { PlatformConfig } from '../config/schema';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { BudgetLimit } from '../limits/budget';
import { takeAll, type Hold, type Limit } from '../limits/limit';
import type { Metrics } from '../metrics/metrics';
import { allEnded, batchDocument, type Batch } from './batch';
import type { BatchStore } from './batch-store';
import { queuedJob, type Job } from './job';
import type { JobQueue } from './job-queue';
import type { JobOrigin, JobService, JobSpec } from './job-service';
import type { JobStore } from './job-store';
import type { WebhookDispatcher } from './webhooks/webhook-dispatcher';
import type { WebhookPolicy } from './webhooks/webhook-policy';

/** One request of a batch: a job's plugin, operation and input, with the caller's name for it. */
export interface BatchRequest extends Omit<JobSpec, 'webhook'> {
  readonly customId?: string;
}

/** What {@link BatchService} is built from (by the composition root). */
export interface BatchServiceDeps {
  readonly batches: BatchStore;
  readonly jobs: JobService;
  readonly jobStore: Pick<JobStore, 'create' | 'get' | 'countQueued'>;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  readonly planner: Planner;
  readonly lifecycle: Lifecycle;
  readonly rateLimits: readonly Limit[];
  readonly budget: Pick<BudgetLimit, 'take' | 'reservationFor'>;
  readonly audit: AuditLog;
  readonly webhooks: { readonly policy: WebhookPolicy; readonly dispatcher: Pick<WebhookDispatcher, 'jobFinished'> };
  readonly config: Pick<PlatformConfig, 'jobs' | 'limits'>;
  readonly logger: Logger;
  readonly metrics?: Pick<Metrics, 'jobs'>;
  readonly now?: () => number;
}

/**
 * Batches of jobs (`POST /v1/batches`): admitted all or none — every request is planned,
 * the queued-jobs and open-batches caps, the request rates and the budget for all of them
 * are checked before any job is queued — then each runs as a job like any other. When the
 * last one ends, the batch ends and its one webhook is delivered.
 */
export class BatchService {
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly deps: BatchServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => deps.logger.warn({ err }, 'could not delete expired batches')), Math.min(deps.config.jobs.retentionMs, 60_000));
    this.sweeper.unref();
    deps.jobs.onFinished((job) => {
      if (job.batchId) void this.jobEnded(job.batchId).catch((err: unknown) => deps.logger.warn({ err, batchId: job.batchId }, 'could not record the end of a batch'));
    });
  }

  /** Submits a batch; every job of it is queued, or none is. */
  async submit(origin: JobOrigin, requests: readonly BatchRequest[], webhook?: string): Promise<Record<string, unknown>> {
    const { config, jobStore, batches } = this.deps;
    const startedAt = performance.now();
    const owner = origin.caller.name;
    const calls = requests.map((r) => this.requestOf(origin, r));
    try {
      this.deps.lifecycle.assertAdmitting();
      const max = config.jobs.batches.maxJobs;
      if (requests.length > max) throw new InputError('invalid_input', `A batch holds at most ${max} requests (jobs.batches.maxJobs); this one has ${requests.length}. Split it into several batches.`, { errors: [{ field: 'requests', message: `at most ${max}` }] });
      const planned = await this.planAll(calls);
      const target = webhook === undefined ? undefined : this.deps.webhooks.policy.check(webhook).url.href;
      const open = await batches.countOpen(owner);
      if (open >= config.jobs.batches.maxOpenPerKey) {
        throw new RateLimitedError('too_many_batches', `This key already has ${open} batches running (jobs.batches.maxOpenPerKey is ${config.jobs.batches.maxOpenPerKey}). Wait for one to end, or cancel one with DELETE /v1/batches/{id}.`, { retryAfterSeconds: 5 });
      }
      const queued = await jobStore.countQueued(owner);
      if (queued + requests.length > config.jobs.maxQueuedPerKey) {
        throw new RateLimitedError('too_many_jobs', `This key has ${queued} queued jobs; ${requests.length} more would pass jobs.maxQueuedPerKey (${config.jobs.maxQueuedPerKey}). Wait for some to start, or send a smaller batch.`, { retryAfterSeconds: 5 });
      }
      for (const p of planned) await takeAll(this.deps.rateLimits, { caller: origin.caller, clientIp: origin.clientIp, plugin: p.call.plugin });
      await this.budgetCovers(origin, planned);
      const id = randomUUID();
      const at = this.now();
      const jobs = planned.map((p, i) => queuedJob(randomUUID(), origin, p.call, at, { batchId: id, ...(requests[i]?.cacheControl ? { cacheControl: 'no-cache' as const } : {}) }));
      const batch: Batch = { id, owner, requestId: origin.requestId, jobIds: jobs.map((j) => j.id), customIds: requests.map((r) => r.customId), createdAt: at, ...(target ? { webhook: target } : {}) };
      await batches.create(batch);
      const maxRunning = origin.caller.maxConcurrent ?? config.limits.maxConcurrentPerKey;
      for (const job of jobs) {
        await jobStore.create(job);
        await this.deps.queue.enqueue({ id: job.id, owner, maxRunning });
        this.deps.metrics?.jobs.inc({ plugin: job.plugin, state: 'queued' });
      }
      return batchDocument(batch, jobs);
    } catch (err) {
      for (const call of calls) auditRefusal(this.deps.audit, call, err, startedAt);
      throw err;
    }
  }

  /** The caller's batch with its counts and jobs, or 404. */
  async get(owner: string, id: string): Promise<Record<string, unknown>> {
    const batch = await this.owned(owner, id);
    return batchDocument(batch, await this.jobsOf(batch), await this.deps.batches.deliveries(id));
  }

  /** Cancels a batch: its queued jobs never run, its running ones are stopped and settled; answers once they are. */
  async cancel(owner: string, id: string): Promise<Record<string, unknown>> {
    const batch = await this.owned(owner, id);
    if (batch.endedAt === undefined) {
      await this.deps.batches.update(id, (b) => (b.cancelRequestedAt === undefined ? { ...b, cancelRequestedAt: this.now() } : b));
      await Promise.all(batch.jobIds.map((jobId) => this.deps.jobs.cancel(owner, jobId).catch(() => undefined)));
    }
    return this.get(owner, id);
  }

  /** Stops deleting expired batches (shutdown). */
  close(): void {
    clearInterval(this.sweeper);
  }

  /** Deletes batches that ended longer than `jobs.retentionMs` ago (their jobs go by the same rule). */
  sweep(): Promise<number> {
    return this.deps.batches.sweep(this.now() - this.deps.config.jobs.retentionMs);
  }

  /** A job of the batch ended: when it was the last, the batch ends (once, whichever replica sees it) and its webhook goes out. */
  private async jobEnded(id: string): Promise<void> {
    const batch = await this.deps.batches.get(id);
    if (!batch || batch.endedAt !== undefined) return;
    if (!allEnded(await this.jobsOf(batch))) return;
    const changed = await this.deps.batches.update(id, (b) => (b.endedAt === undefined ? { ...b, endedAt: this.now() } : b));
    if (changed && changed.before.endedAt === undefined) this.deps.webhooks.dispatcher.jobFinished(changed.after);
  }

  private async owned(owner: string, id: string): Promise<Batch> {
    const batch = await this.deps.batches.get(id);
    if (!batch || batch.owner !== owner) throw new NotFoundError('batch_not_found', `There is no batch "${id}" for this key (batches are kept for jobs.retentionMs after they end).`);
    return batch;
  }

  private jobsOf(batch: Batch): Promise<(Job | undefined)[]> {
    return Promise.all(batch.jobIds.map((jobId) => this.deps.jobStore.get(jobId)));
  }

  private requestOf(origin: JobOrigin, r: BatchRequest): OperationCallRequest {
    return {
      kind: 'operation', requestId: origin.requestId, caller: origin.caller, clientIp: origin.clientIp, transport: 'job', streaming: false,
      plugin: r.plugin, operation: r.operation, body: r.input, ...(r.cacheControl ? { cacheControl: r.cacheControl } : {}),
    };
  }

  /** Plans every request; any refused makes the batch a 400 naming each one (`requests[3].input.files`). */
  private async planAll(calls: readonly OperationCallRequest[]): Promise<Planned[]> {
    const planned: Planned[] = [];
    const errors: FieldError[] = [];
    for (const [i, call] of calls.entries()) {
      try {
        planned.push(await this.deps.planner.plan(call));
      } catch (err) {
        const problem = toPlatformError(err);
        if (problem.status >= 500) throw err; // not about this request: the whole batch waits
        const fields = problem.extras.errors ?? [];
        if (fields.length === 0) errors.push({ field: `requests.${i}`, message: `${problem.code}: ${problem.detail}` });
        for (const f of fields) errors.push({ field: `requests.${i}.input${f.field ? `.${f.field}` : ''}`, message: f.message });
      }
    }
    if (errors.length > 0) throw new InputError('invalid_input', `${new Set(errors.map((e) => e.field.split('.').slice(0, 2).join('.'))).size} of the ${calls.length} requests would be refused (see errors); no job was queued. Fix them and send the batch again.`, { errors });
    return planned;
  }

  /** The budgets must cover one run of every job now (each run reserves and settles its own cost). */
  private async budgetCovers(origin: JobOrigin, planned: readonly Planned[]): Promise<void> {
    const perPlugin = new Map<string, number>();
    for (const p of planned) perPlugin.set(p.call.plugin, (perPlugin.get(p.call.plugin) ?? 0) + this.deps.budget.reservationFor(p.plugin.maxBudgetUsd));
    const holds: Hold[] = [];
    try {
      // Held together, so the key's own budget is checked against the sum over plugins.
      for (const [plugin, reserveUsd] of perPlugin) holds.push(await this.deps.budget.take({ caller: origin.caller, clientIp: origin.clientIp, plugin, reserveUsd }));
    } finally {
      await Promise.all(holds.map((h) => h.release(0)));
    }
  }
}
