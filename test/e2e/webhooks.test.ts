import { randomBytes } from 'node:crypto';
import { LogCapture, postJson, startTestRuntime, startWebhookReceiver, waitUntil, type TestRuntime, type WebhookReceiver } from '@ccp/testing';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

// Job webhooks with the real CLI against the simulator, delivered to a loopback receiver this
// test starts: signed per Standard Webhooks (verified with the standardwebhooks library),
// retried with growing gaps, refused at submission outside the allowlist, no redirect followed.

const review = { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] };
const secret = `whsec_${randomBytes(32).toString('base64')}`;
const older = `whsec_${randomBytes(32).toString('base64')}`;

interface Attempt { attempt: number; at: string; durationMs: number; outcome: string; status?: number; nextAttemptAt?: string }
interface Deliveries { state: string; webhookId?: string; attempts: Attempt[] }

describe('job webhooks (real CLI, loopback receiver)', () => {
  let rt: TestRuntime;
  let receiver: WebhookReceiver;
  const logs = new LogCapture();

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    rt = await startTestRuntime({
      // The receiver is on 127.0.0.1: the entry names that address, so the guard lets it through.
      config: { logging: { level: 'info' }, jobs: { webhooks: { allowedUrls: [`${receiver.url}/hooks/`], initialDelayMs: 300, jitter: 0.1, maxAttempts: 4, timeoutMs: 2000 } } },
      secrets: { webhookSecrets: [secret, older] },
      logDestination: logs,
    });
  });
  afterAll(async () => {
    await rt.close();
    await receiver.close();
  });
  beforeEach(() => {
    receiver.reset();
    rt.simulator.reset();
  });

  const submit = async (webhook: string): Promise<string> => {
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: { prefer: 'respond-async', webhook } });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const deliveries = async (id: string): Promise<Deliveries> => (await (await fetch(`${rt.url}/v1/jobs/${id}/deliveries`)).json()) as Deliveries;
  const settled = async (id: string, states = ['delivered', 'failed']): Promise<Deliveries> => {
    let d: Deliveries = { state: '', attempts: [] };
    expect(await waitUntil(async () => states.includes((d = await deliveries(id)).state), 30_000, 50)).toBe(true);
    return d;
  };

  it("delivers a finished job's webhook, signed: the library verifies it with either secret of the rotation and rejects a tampered body", async () => {
    const id = await submit(`${receiver.url}/hooks/review?run=1`);
    const record = await settled(id);
    expect(record).toMatchObject({ state: 'delivered', webhookId: `msg_${id}`, attempts: [{ attempt: 1, outcome: 'delivered', status: 204 }] });
    const [req] = receiver.requests;
    const headers = req?.headers as Record<string, string>;
    expect(req?.path).toBe('/hooks/review?run=1');
    expect(headers['webhook-id']).toBe(`msg_${id}`);
    const payload = new Webhook(secret).verify(req?.body ?? '', headers) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(new Webhook(older).verify(req?.body ?? '', headers)).toEqual(payload);
    const job = (await (await fetch(`${rt.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
    expect(payload).toEqual({ type: 'job.succeeded', timestamp: job.finishedAt, data: job });
    expect(payload.data).toMatchObject({ state: 'succeeded', result: { result: { summary: expect.any(String) } } });
    const tampered = (req?.body ?? '').replace('"succeeded"', '"failed"');
    expect(tampered).not.toBe(req?.body);
    expect(() => new Webhook(secret).verify(tampered, headers)).toThrow(WebhookVerificationError);
  });

  it('retries a receiver that answers 500 twice: 3 attempts recorded with growing gaps, then delivered', async () => {
    receiver.script(500, 500, 200);
    const id = await submit(`${receiver.url}/hooks/flaky`);
    const record = await settled(id);
    expect(record.state).toBe('delivered');
    expect(record.attempts.map((a) => [a.attempt, a.outcome, a.status])).toEqual([[1, 'http_error', 500], [2, 'http_error', 500], [3, 'delivered', 200]]);
    const at = record.attempts.map((a) => Date.parse(a.at));
    const gaps = [at[1]! - at[0]!, at[2]! - at[1]!];
    expect(gaps[0]).toBeGreaterThanOrEqual(250); // 300 ms ±10 %
    expect(gaps[1]).toBeGreaterThan(gaps[0]!); // 600 ms ±10 %
    expect(record.attempts[0]?.nextAttemptAt).toBeDefined();
    expect(record.attempts[2]?.nextAttemptAt).toBeUndefined();
    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([`msg_${id}`]));
    const metrics = await (await fetch(`${rt.url}/metrics`)).text();
    expect(metrics).toMatch(/ccp_webhook_deliveries_total\{outcome="http_error"\} [2-9]/);
  });

  it('refuses a webhook outside the allowlist with 400 at submission: no job, no API request', async () => {
    for (const webhook of [`${receiver.url}/elsewhere`, 'http://169.254.169.254/latest/meta-data/', `${receiver.url.replace('127.0.0.1', 'localhost')}/hooks/`]) {
      const viaHeader = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: { prefer: 'respond-async', webhook } });
      expect(viaHeader.status).toBe(400);
      expect(((await viaHeader.json()) as { code: string }).code).toBe('webhook_not_allowed');
      const viaBody = await postJson(`${rt.url}/v1/jobs`, { plugin: 'code-review', operation: 'review', input: review, webhook });
      expect(viaBody.status).toBe(400);
    }
    expect(rt.simulator.messageRequests()).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('follows no redirect: a 302 is a failed attempt and its Location receives nothing', async () => {
    receiver.fallback({ status: 302, headers: { location: `${receiver.url}/hooks/redirected` } });
    const id = await submit(`${receiver.url}/hooks/moved`);
    const record = await settled(id, ['failed']);
    expect(record.attempts).toHaveLength(4);
    expect(record.attempts.every((a) => a.outcome === 'http_error' && a.status === 302)).toBe(true);
    expect(receiver.at('/hooks/redirected')).toHaveLength(0);
    expect(receiver.at('/hooks/moved')).toHaveLength(4);
  });

  it('never writes a webhook secret into a log line', () => {
    const text = JSON.stringify(logs.lines);
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const s of [secret, older]) expect(text).not.toContain(s.slice(6));
  });
});
