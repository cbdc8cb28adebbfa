import { randomBytes } from 'node:crypto';
import { postJson, processesUnder, startTestRuntime, startWebhookReceiver, waitUntil, type TestRuntime, type WebhookReceiver } from '@ccp/testing';
import { Webhook } from 'standardwebhooks';

// Batches with the real CLI against the simulator: 20 jobs run to the end and their counts add
// up, one signed batch webhook reaches a loopback receiver; a batch cancelled mid-way leaves
// no claude process and no job running.

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const request = (n: number) => ({ customId: `pkg-${n}`, plugin: 'code-review', operation: 'review', input: { files: [{ path: `src/p${n}.ts`, content: `export const p${n} = ${n};\n` }] } });

interface Batch { id: string; state: string; total: number; counts: Record<'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled', number>; jobs: { id: string; customId?: string; state: string }[] }

describe('batches (real CLI, loopback receiver)', () => {
  let rt: TestRuntime;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    rt = await startTestRuntime({
      config: { cache: { enabled: false }, jobs: { webhooks: { allowedUrls: [`${receiver.url}/`], initialDelayMs: 200, jitter: 0, maxAttempts: 3 } } },
      secrets: { webhookSecrets: [secret] },
    });
  });
  afterAll(async () => {
    await rt.close();
    await receiver.close();
  });

  const batch = async (id: string): Promise<Batch> => (await (await fetch(`${rt.url}/v1/batches/${id}`)).json()) as Batch;

  it('runs a batch of 20 to the end: every job succeeds, the counts add up, one batch webhook arrives', async () => {
    rt.simulator.reset();
    const res = await postJson(`${rt.url}/v1/batches`, { requests: Array.from({ length: 20 }, (_, i) => request(i + 1)), webhook: `${receiver.url}/ci` });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Batch;
    let b = await batch(id);
    expect(await waitUntil(async () => (b = await batch(id)).state === 'ended', 90_000, 200)).toBe(true);
    expect(b.total).toBe(20);
    expect(b.counts).toEqual({ queued: 0, running: 0, succeeded: 20, failed: 0, cancelled: 0 });
    expect(b.jobs.map((j) => j.customId)).toEqual(Array.from({ length: 20 }, (_, i) => `pkg-${i + 1}`));
    // One conversation per job at the simulator, each with its own file.
    const reviewed = new Set(rt.simulator.messageRequests().map((r) => JSON.stringify(r.body).match(/src\/p\d+\.ts/)?.[0]));
    expect(reviewed.size).toBe(20);
    expect(await receiver.waitFor(1, 5_000)).toBe(true);
    // One attempt, recorded as delivered: a retry or a second end of the batch would be another.
    expect(await waitUntil(async () => ((await batch(id)) as Batch & { deliveries?: unknown[] }).deliveries?.length === 1, 5_000, 50)).toBe(true);
    expect(((await batch(id)) as Batch & { deliveries?: { outcome: string }[] }).deliveries).toEqual([expect.objectContaining({ outcome: 'delivered' })]);
    expect(receiver.requests).toHaveLength(1);
    const [hook] = receiver.requests;
    const payload = new Webhook(secret).verify(hook?.body ?? '', hook?.headers as Record<string, string>) as { type: string; data: Batch };
    expect(payload.type).toBe('batch.ended');
    expect(payload.data).toMatchObject({ id, state: 'ended', counts: { succeeded: 20 } });
  }, 120_000);

  it('cancels a batch mid-way: no job is left running and no claude process is left', async () => {
    rt.simulator.reset();
    // Every answer streams slowly: the first jobs are mid-answer when the cancel comes.
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 400 });
    const res = await postJson(`${rt.url}/v1/batches`, { requests: Array.from({ length: 6 }, (_, i) => request(100 + i)) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as Batch;
    await rt.simulator.waitForMessageRequests(1, 30_000);
    const cancel = await fetch(`${rt.url}/v1/batches/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    const after = (await cancel.json()) as Batch;
    expect(after.counts.running + after.counts.queued).toBe(0);
    expect(after.counts.cancelled).toBeGreaterThan(0);
    expect(await waitUntil(() => processesUnder(rt.workspaceRoot).length === 0, 2_000, 25)).toBe(true);
    expect((await batch(id)).state).toBe('ended');
    rt.simulator.setFallback({ auto: true });
  }, 60_000);
});
