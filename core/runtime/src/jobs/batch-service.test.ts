import { randomBytes } from 'node:crypto';
import { FakeEngine, LogCapture, startWebhookReceiver, unitRuntime, waitUntil, type WebhookReceiver } from '@ccp/testing';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { hashKey } from '../auth/api-keys';
import type { Runtime } from '../composition-root';

const review = (n: number) => ({ files: [{ path: `src/a${n}.ts`, content: `export const a = ${n};\n` }] });
const output = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };
const job = (n: number) => ({ customId: `pkg-${n}`, plugin: 'code-review', operation: 'review', input: review(n) });
const alice = { authorization: 'Bearer ccp_alice_key_000000000000000000000000' };
const secret = `whsec_${randomBytes(32).toString('base64')}`;

describe('batches', () => {
  let receiver: WebhookReceiver;
  let runtime: Runtime;
  let engine: FakeEngine;
  let log: LogCapture;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(() => receiver.close());

  const start = async (config: Record<string, unknown> = {}) => {
    receiver.reset();
    engine = new FakeEngine({ output });
    log = new LogCapture();
    runtime = await unitRuntime(engine, {
      config: {
        auth: { keys: [{ name: 'alice', sha256: hashKey(alice.authorization.slice(7)), budget: { dailyUsd: 2 } }] },
        cache: { enabled: false },
        budgets: { reservationUsd: 0.5 },
        logging: { level: 'info' },
        jobs: { webhooks: { allowedUrls: [`${receiver.url}/`], initialDelayMs: 50, jitter: 0, maxAttempts: 2 } },
        ...config,
      },
      secrets: { anthropicApiKey: 'sk-ant-unit-0000000000', webhookSecrets: [secret] },
      logDestination: log,
    });
  };
  afterEach(() => runtime.dispose());

  const ended = async (id: string) => {
    let body: Record<string, unknown> = {};
    await waitUntil(async () => {
      body = (await request(runtime.app).get(`/v1/batches/${id}`).set(alice)).body as Record<string, unknown>;
      return body.state === 'ended';
    }, 5000, 10);
    return body;
  };

  it('runs every request as a job, counts them by state, and delivers one signed webhook when the last ends', async () => {
    await start();
    const res = await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [job(1), job(2), job(3)], webhook: `${receiver.url}/batch` }).expect(202);
    expect(res.headers.location).toBe(`/v1/batches/${res.body.id}`);
    expect(res.body).toMatchObject({ state: 'running', total: 3, counts: { queued: 3 }, jobs: [{ customId: 'pkg-1', state: 'queued' }, { customId: 'pkg-2' }, { customId: 'pkg-3' }] });
    const batch = await ended(res.body.id);
    expect(batch.counts).toEqual({ queued: 0, running: 0, succeeded: 3, failed: 0, cancelled: 0 });
    expect(engine.requests).toHaveLength(3);
    const member = (await request(runtime.app).get(`/v1/jobs/${(batch.jobs as { id: string }[])[0]?.id}`).set(alice).expect(200)).body;
    expect(member).toMatchObject({ state: 'succeeded', batchId: res.body.id });
    expect(await receiver.waitFor(1, 3000)).toBe(true);
    // Its one attempt is recorded as delivered (a retry or a second end would be another attempt).
    expect(await waitUntil(async () => ((await request(runtime.app).get(`/v1/batches/${res.body.id}`).set(alice)).body.deliveries ?? []).length > 0, 3000, 10)).toBe(true);
    expect((await request(runtime.app).get(`/v1/batches/${res.body.id}`).set(alice)).body.deliveries).toEqual([expect.objectContaining({ attempt: 1, outcome: 'delivered' })]);
    expect(receiver.at('/batch')).toHaveLength(1);
    const [hook] = receiver.at('/batch');
    const payload = new Webhook(secret).verify(hook?.body ?? '', hook?.headers as Record<string, string>) as Record<string, unknown>;
    expect(payload).toMatchObject({ type: 'batch.ended', data: { id: res.body.id, state: 'ended', counts: { succeeded: 3 } } });
    expect(log.audit.filter((l) => l.transport === 'job').map((l) => l.outcome)).toEqual(['success', 'success', 'success']);
  });

  it('refuses a batch with a bad request whole, naming it, and queues nothing', async () => {
    await start();
    const res = await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [job(1), { plugin: 'code-review', operation: 'review', input: { files: 'no' } }, { plugin: 'nope', operation: 'x', input: {} }] }).expect(400);
    expect(res.body.code).toBe('invalid_input');
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['requests.1.input.files', 'requests.2']);
    expect((await request(runtime.app).get('/v1/jobs').set(alice).expect(200)).body.jobs).toEqual([]);
    expect(engine.requests).toHaveLength(0);
    expect(log.audit.map((l) => l.outcome)).toEqual(['invalid_input', 'invalid_input', 'invalid_input']);
  });

  it('refuses a batch the budget cannot cover whole (402), not half-run', async () => {
    await start();
    // The key's daily budget is $2 and each job reserves $0.50: 4 fit, 5 do not.
    const res = await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [1, 2, 3, 4, 5].map(job) }).expect(402);
    expect(res.body.code).toBe('budget_exhausted');
    expect((await request(runtime.app).get('/v1/jobs').set(alice).expect(200)).body.jobs).toEqual([]);
    await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [1, 2, 3, 4].map(job) }).expect(202);
  });

  it('caps the requests of a batch and the batches a key has open', async () => {
    await start({ jobs: { batches: { maxJobs: 2, maxOpenPerKey: 1 } } });
    expect((await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [1, 2, 3].map(job) }).expect(400)).body.errors).toEqual([{ field: 'requests', message: 'at most 2' }]);
    engine.script({ waitForAbort: true });
    const open = await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [job(1)] }).expect(202);
    expect((await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [job(2)] }).expect(429)).body.code).toBe('too_many_batches');
    await request(runtime.app).delete(`/v1/batches/${open.body.id}`).set(alice).expect(200);
  });

  it('cancels a batch mid-way: the running job is stopped, the queued ones never run, and the batch ends', async () => {
    await start({ limits: { maxConcurrentPerKey: 1 } });
    engine.script({ waitForAbort: true });
    const res = await request(runtime.app).post('/v1/batches').set(alice).send({ requests: [1, 2, 3].map(job) }).expect(202);
    await waitUntil(async () => engine.requests.length === 1, 5000, 10);
    const cancelled = (await request(runtime.app).delete(`/v1/batches/${res.body.id}`).set(alice).expect(200)).body;
    expect(cancelled.counts).toEqual({ queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 3 });
    expect((await ended(res.body.id)).state).toBe('ended');
    expect(engine.requests).toHaveLength(1);
    expect((await request(runtime.app).get(`/v1/batches/${res.body.id}`).set({ authorization: 'Bearer nope' })).status).toBe(401);
  });
});
