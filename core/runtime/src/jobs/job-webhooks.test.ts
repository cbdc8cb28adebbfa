import { randomBytes } from 'node:crypto';
import { FakeEngine, startWebhookReceiver, unitRuntime, waitUntil, type WebhookReceiver } from '@ccp/testing';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { hashKey } from '../auth/api-keys';
import type { Runtime } from '../composition-root';
import { readSecrets } from '../config/env-overrides';
import { parseConfig } from '../config/load-config';

const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const goodOutput = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const bearer = (name: string): Record<string, string> => ({ authorization: `Bearer ccp_${name}_key_${'0'.repeat(40 - name.length)}` });

describe('job webhooks (routes and service)', () => {
  let receiver: WebhookReceiver;
  let runtime: Runtime;
  let engine: FakeEngine;
  const shared = secret();
  const own = secret();
  const [alice, bob, tenant, admin] = [bearer('alice'), bearer('bob'), bearer('tenant'), bearer('admin')];
  const key = (name: string, h: Record<string, string>, extra: Record<string, unknown> = {}) => ({ name, sha256: hashKey(String(h.authorization).slice(7)), ...extra });
  let hooks: string;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    hooks = `${receiver.url}/hooks/`;
  });
  afterAll(() => receiver.close());
  beforeEach(async () => {
    receiver.reset();
    engine = new FakeEngine({ output: goodOutput });
    runtime = await unitRuntime(engine, {
      config: {
        auth: { keys: [key('alice', alice), key('bob', bob), key('tenant', tenant, { webhookSecretEnv: 'TENANT_WEBHOOK_SECRET' }), key('admin', admin, { roles: ['admin'] })] },
        cache: { enabled: false },
        jobs: { webhooks: { allowedUrls: [hooks], initialDelayMs: 50, jitter: 0, maxAttempts: 2, timeoutMs: 1000 } },
      },
      secrets: { anthropicApiKey: 'sk-ant-unit-0000000000', webhookSecrets: [shared], keyWebhookSecrets: { tenant: [own] } },
    });
  });
  afterEach(() => runtime.dispose());

  const deliveries = async (id: string, who: Record<string, string>, state = 'delivered') => {
    let body: Record<string, unknown> = {};
    await waitUntil(async () => (body = (await request(runtime.app).get(`/v1/jobs/${id}/deliveries`).set(who)).body as Record<string, unknown>).state === state, 5000, 10);
    return body;
  };

  it('takes a webhook on POST /v1/jobs, delivers the finished job signed, and shows the attempt to its owner only', async () => {
    const res = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review, webhook: `${hooks}done?run=7` }).expect(202);
    expect(res.body).toMatchObject({ webhook: `${hooks}done?run=7`, links: { deliveries: `/v1/jobs/${res.body.id}/deliveries` } });
    const record = await deliveries(res.body.id, alice);
    expect(record).toMatchObject({ jobId: res.body.id, url: `${hooks}done?run=7`, webhookId: `msg_${res.body.id}`, state: 'delivered', attempts: [{ attempt: 1, trigger: 'automatic', outcome: 'delivered', status: 204, at: expect.any(String), durationMs: expect.any(Number) }] });
    const [req] = receiver.requests;
    expect(req?.path).toBe('/hooks/done?run=7');
    expect(new Webhook(shared).verify(req?.body ?? '', req?.headers as Record<string, string>)).toMatchObject({ type: 'job.succeeded', data: { id: res.body.id, state: 'succeeded', result: { result: goodOutput } } });
    expect((await request(runtime.app).get(`/v1/jobs/${res.body.id}/deliveries`).set(bob).expect(404)).body.code).toBe('job_not_found');
  });

  it('takes the Webhook header with Prefer: respond-async, signing a key with its own secret by that secret', async () => {
    const res = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...tenant, prefer: 'respond-async', webhook: `${hooks}tenant` }).send(review).expect(202);
    await deliveries(res.body.id, tenant);
    const [req] = receiver.requests;
    expect(new Webhook(own).verify(req?.body ?? '', req?.headers as Record<string, string>)).toBeTruthy();
    expect(() => new Webhook(shared).verify(req?.body ?? '', req?.headers as Record<string, string>)).toThrow();
  });

  it('refuses a webhook outside the allowlist with 400 webhook_not_allowed at submission, queuing nothing', async () => {
    for (const webhook of ['https://evil.example/hooks/', `${receiver.url}/other`, `${receiver.url.replace('127.0.0.1', 'localhost')}/hooks/`, 'not a url']) {
      const viaBody = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review, webhook }).expect(400);
      expect(viaBody.body).toMatchObject({ code: 'webhook_not_allowed', type: 'urn:claude-code-platform:problem:webhook-not-allowed' });
      const viaHeader = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...alice, prefer: 'respond-async', webhook }).send(review).expect(400);
      expect(viaHeader.body.code).toBe('webhook_not_allowed');
    }
    expect((await request(runtime.app).get('/v1/jobs').set(alice).expect(200)).body.jobs).toEqual([]);
    expect(engine.requests).toHaveLength(0);
  });

  it('refuses a Webhook header on a synchronous call instead of ignoring it', async () => {
    const res = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...alice, webhook: `${hooks}x` }).send(review).expect(400);
    expect(res.body.detail).toMatch(/Prefer: respond-async/);
    expect(engine.requests).toHaveLength(0);
  });

  it('binds an Idempotency-Key to the webhook too: another webhook is 422', async () => {
    const send = (webhook: string) => request(runtime.app).post('/v1/jobs').set({ ...alice, 'idempotency-key': 'wh-1' }).send({ plugin: 'code-review', operation: 'review', input: review, webhook });
    expect((await send(`${hooks}a`)).status).toBe(202);
    expect((await send(`${hooks}a`)).status).toBe(200);
    expect((await send(`${hooks}b`)).body.code).toBe('idempotency_key_reused');
  });

  it('lets an admin redeliver any finished job with a webhook (403 otherwise, 404 unknown, 409 without a webhook)', async () => {
    const withHook = (await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review, webhook: `${hooks}again` }).expect(202)).body.id as string;
    const without = (await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    await deliveries(withHook, alice);
    expect((await request(runtime.app).get(`/v1/jobs/${without}/deliveries`).set(alice).expect(200)).body).toEqual({ jobId: without, state: 'none', attempts: [] });
    expect((await request(runtime.app).post(`/v1/admin/jobs/${withHook}/redeliver`).set(alice).expect(403)).body.code).toBe('forbidden');
    expect((await request(runtime.app).post('/v1/admin/jobs/nope/redeliver').set(admin).expect(404)).body.code).toBe('job_not_found');
    await waitUntil(async () => (await request(runtime.app).get(`/v1/jobs/${without}`).set(alice)).body.state === 'succeeded', 5000, 10);
    expect((await request(runtime.app).post(`/v1/admin/jobs/${without}/redeliver`).set(admin).expect(409)).body.code).toBe('job_not_redeliverable');
    const again = await request(runtime.app).post(`/v1/admin/jobs/${withHook}/redeliver`).set(admin).expect(200);
    expect(again.body.attempts.map((a: { trigger: string; outcome: string }) => [a.trigger, a.outcome])).toEqual([['automatic', 'delivered'], ['redelivery', 'delivered']]);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]?.headers['webhook-id']).toBe(`msg_${withHook}`);
  });

  it('shows no secret in any response, metric or job document', async () => {
    const res = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review, webhook: `${hooks}s` }).expect(202);
    await deliveries(res.body.id, alice);
    const seen = [
      JSON.stringify((await request(runtime.app).get(`/v1/jobs/${res.body.id}`).set(alice)).body),
      JSON.stringify((await request(runtime.app).get(`/v1/jobs/${res.body.id}/deliveries`).set(alice)).body),
      JSON.stringify((await request(runtime.app).get('/health/ready').set(admin)).body),
      (await request(runtime.app).get('/metrics')).text,
    ].join('\n');
    for (const s of [shared, own]) expect(seen).not.toContain(s.slice(6));
    expect(seen).toMatch(/ccp_webhook_deliveries_total\{outcome="delivered"\} 1/);
  });

  it('describes the webhook routes and the Webhook header in /openapi.json', async () => {
    const doc = (await request(runtime.app).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    expect(doc.paths['/v1/jobs/{jobId}/deliveries']?.get).toBeDefined();
    expect(doc.paths['/v1/admin/jobs/{jobId}/redeliver']?.post).toBeDefined();
    expect(doc.paths['/v1/plugins/code-review/review']?.post?.parameters).toEqual(expect.arrayContaining([{ name: 'Webhook', in: 'header', required: false, description: expect.any(String), schema: { type: 'string' } }]));
  });
});

describe('webhook secrets at boot', () => {
  const boot = (config: Record<string, unknown>, secrets: Record<string, unknown>) => unitRuntime(new FakeEngine(), { config, secrets: { anthropicApiKey: 'sk-ant-unit-0000000000', ...secrets } });
  const k = { name: 'ci', sha256: hashKey('ccp_ci_key_0000000000000000000000000000000') };

  it('stops the boot, naming every problem and no secret', async () => {
    const bad = `whsec_${randomBytes(8).toString('base64')}`;
    const err = await boot({ auth: { keys: [{ ...k, webhookSecretEnv: 'CI_HOOK_SECRET' }] }, jobs: { webhooks: { allowedUrls: ['https://hooks.example.com/'] } } }, { webhookSecrets: [secret(), bad] }).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/CCP_WEBHOOK_SECRETS \(entry 2\): must hold 24 to 64 bytes/);
    expect(err?.message).toMatch(/auth\.keys\.0\.webhookSecretEnv \(key "ci"\): the variable CI_HOOK_SECRET is not set/);
    expect(err?.message).not.toContain(bad.slice(6));
  });

  it('refuses to allow webhooks that nothing would sign', async () => {
    await expect(boot({ auth: { keys: [k] }, jobs: { webhooks: { allowedUrls: ['https://hooks.example.com/'] } } }, {})).rejects.toThrow(/nothing would sign the deliveries of "ci": set CCP_WEBHOOK_SECRETS/);
    await expect(boot({ auth: { enabled: false }, jobs: { webhooks: { allowedUrls: ['https://hooks.example.com/'] } } }, {})).rejects.toThrow(/"anonymous" \(authentication is off\)/);
    const fine = await boot({ auth: { keys: [{ ...k, webhookSecretEnv: 'CI_HOOK_SECRET' }] }, jobs: { webhooks: { allowedUrls: ['https://hooks.example.com/'] } } }, { keyWebhookSecrets: { ci: [secret()] } });
    await fine.dispose();
  });

  it('refuses a malformed allowlist entry with its path', () => {
    expect(() => parseConfig({ jobs: { webhooks: { allowedUrls: ['https://hooks.example.com/?x=1', 'hooks.example.com'] } } })).toThrow(/jobs\.webhooks\.allowedUrls\.0: must not have a query[\s\S]*jobs\.webhooks\.allowedUrls\.1: must be an absolute URL/);
  });

  it('reads CCP_WEBHOOK_SECRETS as a comma-separated rotation, and each key its own variable', () => {
    const [a, b, c] = [secret(), secret(), secret()];
    const auth = parseConfig({ auth: { keys: [{ ...k, webhookSecretEnv: 'CI_HOOK_SECRET' }] } }).auth;
    expect(readSecrets({ CCP_WEBHOOK_SECRETS: `${a}, ${b}`, CI_HOOK_SECRET: c }, auth)).toMatchObject({ webhookSecrets: [a, b], keyWebhookSecrets: { ci: [c] } });
    expect(readSecrets({}).webhookSecrets).toEqual([]);
  });
});
