import { randomBytes } from 'node:crypto';
import { LogCapture, startWebhookReceiver, waitUntil, type WebhookReceiver } from '@ccp/testing';
import { Webhook } from 'standardwebhooks';
import { parseConfig } from '../../config/load-config';
import { createLogger } from '../../logging/logger';
import { Metrics } from '../../metrics/metrics';
import { NO_PROGRESS, type Job } from '../job';
import { MemoryJobStore } from '../memory-job-store';
import { deliveryState } from './delivery';
import { SigningKeys } from './signing-keys';
import { WebhookDispatcher } from './webhook-dispatcher';
import { jobWebhookSource } from './webhook-source';
import { WebhookPolicy } from './webhook-policy';

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('WebhookDispatcher', () => {
  let receiver: WebhookReceiver;
  let store: MemoryJobStore;
  let metrics: Metrics;
  let logs: LogCapture;
  let dispatcher: WebhookDispatcher;
  const shared = secret();
  const own = secret();

  const build = (options: Record<string, unknown> = {}, allowed = [`${receiver.url}/`]) => {
    const config = parseConfig({ jobs: { webhooks: { allowedUrls: allowed, initialDelayMs: 100, jitter: 0.1, maxAttempts: 3, timeoutMs: 1000, ...options } } });
    dispatcher = new WebhookDispatcher({
      source: jobWebhookSource(store), policy: new WebhookPolicy(config.jobs.webhooks.allowedUrls), options: config.jobs.webhooks, metrics,
      signing: SigningKeys.from({ webhookSecrets: [shared], keyWebhookSecrets: { tenant: [own] } }),
      logger: createLogger('warn', { values: [shared, own] }, logs),
    });
    return dispatcher;
  };

  const finished = async (webhook: string, fields: Partial<Job> = {}): Promise<Job> => {
    const job: Job = {
      id: `job-${Math.random().toString(36).slice(2)}`, owner: 'alice', requestId: 'r1', caller: { name: 'alice', roles: ['user'], plugins: ['*'] },
      plugin: 'code-review', operation: 'review', input: {}, webhook, state: 'succeeded', createdAt: Date.now() - 1000, startedAt: Date.now() - 900, finishedAt: Date.now(),
      progress: NO_PROGRESS, result: { result: { summary: 'ok' }, usage: { inputTokens: 1, outputTokens: 1, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.001 }, durationMs: 5, sessionId: 's' },
      ...fields,
    };
    await store.create(job);
    return job;
  };

  const settledAttempts = async (id: string, count: number) => {
    await waitUntil(async () => {
      const all = await store.deliveries(id);
      return all.length >= count && all.at(-1)?.nextAttemptAt === undefined;
    }, 10_000, 10);
    return store.deliveries(id);
  };

  const counted = async () => Object.fromEntries((await metrics.webhookDeliveries.get()).values.map((v) => [v.labels.outcome, v.value]));

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.reset();
    store = new MemoryJobStore();
    metrics = new Metrics({ defaultMetrics: false });
    logs = new LogCapture();
  });
  afterEach(() => dispatcher.close());

  it('POSTs the job as a signed Standard Webhooks message the library verifies, and records the attempt', async () => {
    build();
    const job = await finished(`${receiver.url}/hooks/a?token=t1`);
    dispatcher.jobFinished(job);
    const [attempt] = await settledAttempts(job.id, 1);
    const [req] = receiver.requests;
    expect(req?.path).toBe('/hooks/a?token=t1');
    expect(req?.headers['content-type']).toBe('application/json');
    const payload = new Webhook(shared).verify(req?.body ?? '', req?.headers as Record<string, string>) as Record<string, unknown>;
    expect(payload).toMatchObject({ type: 'job.succeeded', timestamp: new Date(job.finishedAt ?? 0).toISOString(), data: { id: job.id, state: 'succeeded', result: { result: { summary: 'ok' } } } });
    expect(req?.headers['webhook-id']).toBe(`msg_${job.id}`);
    expect(() => new Webhook(shared).verify((req?.body ?? '').replace('succeeded', 'failed'), req?.headers as Record<string, string>)).toThrow();
    expect(attempt).toMatchObject({ attempt: 1, trigger: 'automatic', outcome: 'delivered', status: 204, durationMs: expect.any(Number) });
    expect(deliveryState(job, await store.deliveries(job.id))).toBe('delivered');
    expect(await counted()).toEqual({ delivered: 1 });
  });

  it('names the event after how the job ended', async () => {
    build();
    for (const state of ['failed', 'cancelled'] as const) {
      const job = await finished(`${receiver.url}/${state}`, { state, result: undefined, error: { code: state === 'failed' ? 'upstream_error' : 'job_cancelled' } });
      dispatcher.jobFinished(job);
      await settledAttempts(job.id, 1);
      expect(JSON.parse(receiver.at(`/${state}`)[0]?.body ?? '{}')).toMatchObject({ type: `job.${state}`, data: { state, error: expect.any(Object) } });
    }
  });

  it('signs a key with a secret of its own with that secret only', async () => {
    build();
    const job = await finished(`${receiver.url}/tenant`, { owner: 'tenant' });
    dispatcher.jobFinished(job);
    await settledAttempts(job.id, 1);
    const [req] = receiver.requests;
    expect(new Webhook(own).verify(req?.body ?? '', req?.headers as Record<string, string>)).toBeTruthy();
    expect(() => new Webhook(shared).verify(req?.body ?? '', req?.headers as Record<string, string>)).toThrow();
  });

  it('retries a 500 with growing waits, the same webhook-id each time, until a 2xx', async () => {
    build({ maxAttempts: 5 });
    receiver.script(500, 500, 200);
    const job = await finished(`${receiver.url}/flaky`);
    dispatcher.jobFinished(job);
    const attempts = await settledAttempts(job.id, 3);
    expect(attempts.map((a) => [a.attempt, a.outcome, a.status])).toEqual([[1, 'http_error', 500], [2, 'http_error', 500], [3, 'delivered', 200]]);
    // The scheduled waits grow (100 ms ±10 %, then 200 ms ±10 %); the receiver saw at least those gaps.
    const waits = attempts.slice(0, 2).map((a) => (a.nextAttemptAt ?? 0) - a.at - a.durationMs);
    expect(waits[0]).toBeGreaterThanOrEqual(90);
    expect(waits[1]).toBeGreaterThan(waits[0] ?? Infinity);
    const gaps = receiver.requests.slice(1).map((r, i) => r.at - (receiver.requests[i]?.at ?? 0));
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual((waits[i] ?? Infinity) - 5));
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(new Set(receiver.requests.map((r) => r.body)).size).toBe(1);
    expect(await counted()).toEqual({ http_error: 2, delivered: 1 });
  });

  it('stops after maxAttempts and says it failed', async () => {
    build({ maxAttempts: 2 });
    receiver.fallback(503);
    const job = await finished(`${receiver.url}/down`);
    dispatcher.jobFinished(job);
    const attempts = await settledAttempts(job.id, 2);
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toMatchObject({ outcome: 'http_error', status: 503 });
    expect(attempts[1]?.nextAttemptAt).toBeUndefined();
    expect(deliveryState(job, attempts)).toBe('failed');
    expect(receiver.requests).toHaveLength(2);
  });

  it('never follows a redirect: a 3xx is a failed attempt and the Location gets nothing', async () => {
    build({ maxAttempts: 1 });
    receiver.script({ status: 307, headers: { location: `${receiver.url}/elsewhere` } });
    const job = await finished(`${receiver.url}/moved`);
    dispatcher.jobFinished(job);
    const [attempt] = await settledAttempts(job.id, 1);
    expect(attempt).toMatchObject({ outcome: 'http_error', status: 307 });
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.at('/elsewhere')).toHaveLength(0);
  });

  it('gives up an attempt at timeoutMs and retries it', async () => {
    build({ timeoutMs: 200, maxAttempts: 2 });
    receiver.script('hang', 200);
    const job = await finished(`${receiver.url}/slow`);
    dispatcher.jobFinished(job);
    const attempts = await settledAttempts(job.id, 2);
    expect(attempts[0]).toMatchObject({ outcome: 'timeout', error: expect.stringMatching(/200 ms/) });
    expect(attempts[0]?.durationMs).toBeGreaterThanOrEqual(190);
    expect(attempts[0]?.durationMs).toBeLessThan(1000);
    expect(attempts[1]).toMatchObject({ outcome: 'delivered' });
  });

  it('refuses, without retrying, a host name that resolves to loopback even under an allowed prefix', async () => {
    const port = new URL(receiver.url).port;
    build({}, [`http://localhost:${port}/`]);
    const job = await finished(`http://localhost:${port}/hook`);
    dispatcher.jobFinished(job);
    const attempts = await settledAttempts(job.id, 1);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'blocked', error: expect.stringMatching(/loopback/) });
    expect(receiver.requests).toHaveLength(0);
    expect(await counted()).toEqual({ blocked: 1 });
  });

  it('checks the allowlist again at delivery: a URL no longer allowed is blocked', async () => {
    build({}, ['https://hooks.example.com/']);
    const job = await finished(`${receiver.url}/was-allowed`);
    dispatcher.jobFinished(job);
    const [attempt] = await settledAttempts(job.id, 1);
    expect(attempt).toMatchObject({ outcome: 'blocked', error: expect.stringMatching(/allowedUrls/) });
    expect(receiver.requests).toHaveLength(0);
  });

  it('redelivers on demand: one attempt now, recorded as a redelivery, a pending retry dropped', async () => {
    build({ initialDelayMs: 60_000, maxAttempts: 3 });
    receiver.script(500);
    const job = await finished(`${receiver.url}/again`);
    dispatcher.jobFinished(job);
    await waitUntil(async () => (await store.deliveries(job.id)).length === 1, 5000, 10);
    expect(deliveryState(job, await store.deliveries(job.id))).toBe('retrying');
    await dispatcher.redeliver(job.id);
    const attempts = await store.deliveries(job.id);
    expect(attempts.map((a) => [a.attempt, a.trigger, a.outcome])).toEqual([[1, 'automatic', 'http_error'], [2, 'redelivery', 'delivered']]);
    expect(receiver.requests[1]?.headers['webhook-id']).toBe(receiver.requests[0]?.headers['webhook-id']);
  });

  it('stops retrying on close', async () => {
    build({ initialDelayMs: 400, maxAttempts: 5 });
    receiver.fallback(500);
    const job = await finished(`${receiver.url}/closing`);
    dispatcher.jobFinished(job);
    await waitUntil(async () => (await store.deliveries(job.id)).length === 1, 5000, 10);
    await dispatcher.close();
    await new Promise((r) => setTimeout(r, 600));
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps secrets out of logs, metrics and the delivery record, and logs only the host of a failing receiver', async () => {
    build({ maxAttempts: 1 });
    receiver.fallback(500);
    const job = await finished(`${receiver.url}/private-path?token=receiver-token`);
    dispatcher.jobFinished(job);
    await settledAttempts(job.id, 1);
    const text = JSON.stringify(logs.lines) + (await metrics.registry.metrics()) + JSON.stringify(await store.deliveries(job.id)) + JSON.stringify(await store.get(job.id));
    for (const s of [shared, own]) expect(text).not.toContain(s.slice(6));
    expect(logs.lines.some((l) => l.msg === 'webhook delivery failed; no further attempt' && l.host === new URL(receiver.url).host)).toBe(true);
    expect(JSON.stringify(logs.lines)).not.toContain('receiver-token');
  });
});
