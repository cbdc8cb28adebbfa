import type { Logger } from '@ccp/plugin-api';
import type { PlatformConfig } from '../../config/schema';
import type { Metrics } from '../../metrics/metrics';
import { systemLookup, type Lookup } from './address-guard';
import { backoffDelay } from './backoff';
import { webhookMessageId, type DeliveryAttempt } from './delivery';
import type { SigningKeys } from './signing-keys';
import type { WebhookPolicy, WebhookTarget } from './webhook-policy';
import { postWebhook, type PostResult } from './webhook-post';
import type { WebhookSource, WebhookSubject } from './webhook-source';

/** What {@link WebhookDispatcher} is built from (by the composition root). */
export interface WebhookDispatcherDeps {
  /** What to deliver and where attempts are recorded (a job's end, a batch's end). */
  readonly source: WebhookSource;
  readonly policy: WebhookPolicy;
  readonly signing: SigningKeys;
  readonly options: PlatformConfig['jobs']['webhooks'];
  readonly metrics: Pick<Metrics, 'webhookDeliveries'>;
  readonly logger: Logger;
  /** Resolves receiver hosts (the system resolver unless a test gives one). */
  readonly lookup?: Lookup;
  readonly now?: () => number;
  /** For the jitter of retries, in [0, 1). */
  readonly random?: () => number;
}

/**
 * Delivers a job's (or a batch's) end to its webhook: a signed POST (Standard Webhooks), retried with
 * exponential backoff and jitter on a non-2xx answer, a timeout or a connection error, up
 * to `maxAttempts`; an address the guard refuses is not retried. Every attempt is recorded
 * next to the job in the store and counted in `ccp_webhook_deliveries_total{outcome}`.
 * Retries wait on timers in this process (like the in-process queue, lost on restart).
 */
export class WebhookDispatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Each job's current run of attempts: a redelivery starts a new one, and an older one stops scheduling. */
  private readonly runs = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly lookup: Lookup;
  private closed = false;

  constructor(private readonly deps: WebhookDispatcherDeps) {
    this.now = deps.now ?? Date.now;
    this.lookup = deps.lookup ?? systemLookup;
  }

  /** A job (or batch) ended: its webhook, if it has one, is delivered from now on. Never throws. */
  jobFinished(subject: { readonly id: string; readonly webhook?: string }): void {
    if (!subject.webhook) return;
    void this.begin(subject.id, 'automatic');
  }

  /** Delivers a finished job's webhook again, now (a pending retry is dropped); resolves once this first attempt is recorded. */
  redeliver(jobId: string): Promise<void> {
    return this.begin(jobId, 'redelivery');
  }

  /** Stops scheduling retries and waits for the attempts under way (each bounded by `timeoutMs`). */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private begin(jobId: string, trigger: DeliveryAttempt['trigger']): Promise<void> {
    clearTimeout(this.timers.get(jobId));
    this.timers.delete(jobId);
    const run = (this.runs.get(jobId) ?? 0) + 1;
    this.runs.set(jobId, run);
    return this.track(this.attempt(jobId, trigger, run, 1));
  }

  private track(attempt: Promise<void>): Promise<void> {
    const tracked = attempt.catch((err: unknown) => this.deps.logger.error({ err }, 'a webhook attempt could not be recorded'));
    this.inFlight.add(tracked);
    return tracked.finally(() => this.inFlight.delete(tracked));
  }

  private async attempt(jobId: string, trigger: DeliveryAttempt['trigger'], run: number, n: number): Promise<void> {
    const { source, options, logger } = this.deps;
    const job = await source.load(jobId);
    if (!job?.webhook || this.closed) return;
    const at = this.now();
    const started = performance.now();
    const { result, target } = await this.send(job);
    const durationMs = Math.round(performance.now() - started);
    const current = this.runs.get(jobId) === run;
    const retry = result.outcome !== 'delivered' && result.outcome !== 'blocked' && n < options.maxAttempts && current && !this.closed;
    const delay = retry ? backoffDelay(n + 1, options, this.deps.random) : 0;
    await source.recordDelivery(jobId, { trigger, at, durationMs, ...result, ...(retry ? { nextAttemptAt: at + durationMs + delay } : {}) });
    this.deps.metrics.webhookDeliveries.inc({ outcome: result.outcome });
    if (result.outcome !== 'delivered') {
      // The host only: a receiver's path or query may hold its own token.
      logger.warn({ jobId, attempt: n, outcome: result.outcome, status: result.status, error: result.error, host: target?.url.host }, retry ? `webhook delivery failed; retrying in ${delay} ms` : 'webhook delivery failed; no further attempt');
    }
    if (!retry) {
      if (current) this.runs.delete(jobId);
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(jobId);
      void this.track(this.attempt(jobId, trigger, run, n + 1));
    }, delay);
    timer.unref();
    this.timers.set(jobId, timer);
  }

  /** One signed POST of the job's payload, after the allowlist is checked again (a reload may have narrowed it). */
  private async send(job: WebhookSubject): Promise<{ result: PostResult; target?: WebhookTarget }> {
    let target: WebhookTarget;
    try {
      target = this.deps.policy.check(job.webhook as string);
    } catch {
      return { result: { outcome: 'blocked', error: 'the URL is no longer under jobs.webhooks.allowedUrls' } };
    }
    const signer = this.deps.signing.forCaller(job.owner);
    if (!signer) return { result: { outcome: 'blocked', error: "no webhook secret signs this key's deliveries (CCP_WEBHOOK_SECRETS or the key's webhookSecretEnv)" }, target };
    const body = JSON.stringify(job.payload());
    // The signed timestamp is the wall clock's: receivers compare it with theirs.
    const headers = signer.headers(webhookMessageId(job.id), new Date(), body);
    return { result: await postWebhook(target, headers, body, { timeoutMs: this.deps.options.timeoutMs, lookup: this.lookup }), target };
  }
}
