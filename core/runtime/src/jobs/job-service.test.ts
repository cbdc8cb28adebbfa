import { FakeEngine, unitRuntime, waitUntil } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../composition-root';
import { hashKey } from '../auth/api-keys';

const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const goodOutput = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };
const ASYNC = { prefer: 'respond-async' };

/** Parses an SSE body into its events (id, event, data). */
function sse(text: string): { id?: number; event: string; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
      const id = field('id');
      return { ...(id ? { id: Number(id) } : {}), event: field('event') ?? 'message', data: JSON.parse(field('data') ?? 'null') as Record<string, unknown> };
    });
}

async function settled(runtime: Runtime, id: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  await waitUntil(async () => {
    body = (await request(runtime.app).get(`/v1/jobs/${id}`).set(headers)).body as Record<string, unknown>;
    return ['succeeded', 'failed', 'cancelled'].includes(String(body.state));
  }, 5000, 10);
  return body;
}

describe('background jobs', () => {
  let runtime: Runtime;
  let engine: FakeEngine;
  const alice = { authorization: 'Bearer ccp_alice_key_000000000000000000000000' };
  const bob = { authorization: 'Bearer ccp_bob_key_0000000000000000000000000000' };
  beforeEach(async () => {
    engine = new FakeEngine({ output: goodOutput });
    runtime = await unitRuntime(engine, {
      config: {
        auth: { keys: [{ name: 'alice', sha256: hashKey(alice.authorization.slice(7)) }, { name: 'bob', sha256: hashKey(bob.authorization.slice(7)), plugins: ['doc-generator'] }] },
        jobs: { maxQueuedPerKey: 3 },
        cache: { enabled: false },
      },
    });
  });
  afterEach(() => runtime.dispose());

  it('answers Prefer: respond-async with 202, Location and the job, then the synchronous body as its result', async () => {
    const res = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...alice, ...ASYNC }).send(review).expect(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);
    expect(res.headers['preference-applied']).toBe('respond-async');
    expect(res.body).toMatchObject({ id: expect.any(String), state: 'queued', plugin: 'code-review', operation: 'review', createdAt: expect.any(String), progress: { turns: 0, toolCalls: 0 } });
    const job = await settled(runtime, res.body.id, alice);
    expect(job).toMatchObject({ state: 'succeeded', startedAt: expect.any(String), finishedAt: expect.any(String), result: { result: goodOutput, usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.001 }, sessionId: 'fake-1' } });
    expect(job.progress).toMatchObject({ turns: 1, usage: { inputTokens: 100, outputTokens: 20 }, costUsd: 0.001 });
    const sync = await request(runtime.app).post('/v1/plugins/code-review/review').set(alice).send(review).expect(200);
    expect(Object.keys(sync.body).sort()).toEqual(Object.keys(job.result as object).sort());
  });

  it('takes POST /v1/jobs and refuses a bad job at once: input 400, plugin 404, access 403', async () => {
    const res = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202);
    expect(res.headers.location).toBe(`/v1/jobs/${res.body.id}`);
    expect((await settled(runtime, res.body.id, alice)).state).toBe('succeeded');
    expect((await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: { files: 'no' } }).expect(400)).body.code).toBe('invalid_input');
    expect((await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'nope', operation: 'review', input: {} }).expect(404)).body.code).toBe('plugin_not_found');
    expect((await request(runtime.app).post('/v1/jobs').set(bob).send({ plugin: 'code-review', operation: 'review', input: review }).expect(403)).body.code).toBe('forbidden');
    expect((await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review, extra: 1 }).expect(400)).body.code).toBe('invalid_input');
    expect((await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review }).expect(401)).body.code).toBe('unauthenticated');
    expect(engine.requests).toHaveLength(1);
  });

  it('gives the same job for the same Idempotency-Key and body, 422 for another body, and scopes keys to the caller', async () => {
    const key = { 'idempotency-key': 'k-1' };
    const first = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...alice, ...ASYNC, ...key }).send(review).expect(202);
    await settled(runtime, first.body.id, alice);
    const again = await request(runtime.app).post('/v1/jobs').set({ ...alice, ...key }).send({ plugin: 'code-review', operation: 'review', input: review }).expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.location).toBe(`/v1/jobs/${first.body.id}`);
    const other = await request(runtime.app).post('/v1/plugins/code-review/review').set({ ...alice, ...ASYNC, ...key }).send({ files: [{ path: 'b.ts', content: 'x' }] }).expect(422);
    expect(other.body).toMatchObject({ code: 'idempotency_key_reused', status: 422 });
    const bobs = await request(runtime.app).post('/v1/plugins/doc-generator/generate').set({ ...bob, ...ASYNC, ...key }).send({ ...review, style: 'tsdoc' });
    expect(bobs.status).toBe(202);
    expect(bobs.body.id).not.toBe(first.body.id);
    await settled(runtime, bobs.body.id, bob);
    expect(engine.requests).toHaveLength(2);
  });

  it("hides another caller's job (404) and lists the caller's jobs by page, state and plugin", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id);
    for (const id of ids) await settled(runtime, id, alice);
    expect((await request(runtime.app).get(`/v1/jobs/${ids[0]}`).set(bob).expect(404)).body.code).toBe('job_not_found');
    expect((await request(runtime.app).delete(`/v1/jobs/${ids[0]}`).set(bob).expect(404)).body.code).toBe('job_not_found');
    expect((await request(runtime.app).get(`/v1/jobs/${ids[0]}/events`).set(bob).expect(404)).body.code).toBe('job_not_found');
    const page1 = await request(runtime.app).get('/v1/jobs?limit=2').set(alice).expect(200);
    expect(page1.body.jobs.map((j: { id: string }) => j.id)).toEqual([ids[2], ids[1]]);
    expect(page1.body.jobs[0].result).toBeUndefined();
    const page2 = await request(runtime.app).get(`/v1/jobs?limit=2&cursor=${page1.body.nextCursor}`).set(alice).expect(200);
    expect(page2.body).toEqual({ jobs: [expect.objectContaining({ id: ids[0] })] });
    expect((await request(runtime.app).get('/v1/jobs?state=queued').set(alice).expect(200)).body.jobs).toEqual([]);
    expect((await request(runtime.app).get('/v1/jobs?plugin=doc-generator').set(alice).expect(200)).body.jobs).toEqual([]);
    expect((await request(runtime.app).get('/v1/jobs').set(bob).expect(200)).body.jobs).toEqual([]);
    expect((await request(runtime.app).get('/v1/jobs?state=bogus').set(alice).expect(400)).body.code).toBe('invalid_input');
  });

  it('streams the events with SSE ids and resumes after Last-Event-ID without duplicates', async () => {
    const { body } = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202);
    const all = sse((await request(runtime.app).get(`/v1/jobs/${body.id}/events`).set(alice).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done(null, text));
    }).expect(200)).body as string);
    expect(all.map((e) => e.event)).toEqual(['start', 'text', 'result']);
    expect(all.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(all[2]?.data).toMatchObject({ result: goodOutput });
    const rest = await request(runtime.app).get(`/v1/jobs/${body.id}/events`).set({ ...alice, 'last-event-id': '1' }).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done(null, text));
    });
    expect(sse(rest.body as string).map((e) => [e.id, e.event])).toEqual([[2, 'text'], [3, 'result']]);
  });

  it('cancels a running job (its engine call is aborted) and a queued one (it never runs)', async () => {
    engine.script({ waitForAbort: true });
    const running = (await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    expect(await waitUntil(() => engine.requests.length === 1, 2000, 5)).toBe(true);
    expect((await request(runtime.app).get(`/v1/jobs/${running}`).set(alice)).body.state).toBe('running');
    const cancelled = await request(runtime.app).delete(`/v1/jobs/${running}`).set(alice).expect(200);
    expect(cancelled.body).toMatchObject({ state: 'cancelled', error: { code: 'job_cancelled', status: 409 }, finishedAt: expect.any(String) });
    expect(engine.requests[0]?.signal?.aborted).toBe(true);
    // A job whose owner has no free slot stays queued; cancelled, it never runs.
    await runtime.dispose();
    engine = new FakeEngine({ output: goodOutput }).script({ waitForAbort: true });
    runtime = await unitRuntime(engine, { config: { auth: { enabled: false }, limits: { maxConcurrentPerKey: 1 } } });
    const first = (await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    const second = (await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    expect(await waitUntil(() => engine.requests.length === 1, 2000, 5)).toBe(true);
    expect((await request(runtime.app).get(`/v1/jobs/${second}`)).body.state).toBe('queued');
    expect((await request(runtime.app).delete(`/v1/jobs/${second}`).expect(200)).body.state).toBe('cancelled');
    await request(runtime.app).delete(`/v1/jobs/${first}`).expect(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(engine.requests).toHaveLength(1);
  });

  it('deletes an ended job with all it stored (204, then 404), and an admin purges a key\'s jobs', async () => {
    await runtime.dispose();
    const admin = { authorization: 'Bearer ccp_admin_key_000000000000000000000000' };
    engine = new FakeEngine({ output: goodOutput });
    runtime = await unitRuntime(engine, {
      config: { auth: { keys: [{ name: 'alice', sha256: hashKey(alice.authorization.slice(7)) }, { name: 'admin', roles: ['admin'], sha256: hashKey(admin.authorization.slice(7)) }] }, cache: { enabled: false } },
    });
    const done = (await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    expect((await settled(runtime, done, alice)).state).toBe('succeeded');
    await request(runtime.app).delete(`/v1/jobs/${done}`).set(alice).expect(204);
    expect((await request(runtime.app).get(`/v1/jobs/${done}`).set(alice).expect(404)).body.code).toBe('job_not_found');
    expect((await request(runtime.app).get(`/v1/jobs/${done}/events`).set(alice).expect(404)).body.code).toBe('job_not_found');
    // Purge: an ended job and a running one (cancelled first, its engine call aborted).
    const ended = (await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    await settled(runtime, ended, alice);
    engine.script({ waitForAbort: true });
    await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202);
    expect(await waitUntil(() => engine.requests.length === 3, 2000, 5)).toBe(true);
    await request(runtime.app).delete('/v1/admin/keys/alice/jobs').set(alice).expect(403);
    expect((await request(runtime.app).delete('/v1/admin/keys/alice/jobs').set(admin).expect(200)).body).toEqual({ key: 'alice', deleted: 2 });
    expect(engine.requests[2]?.signal?.aborted).toBe(true);
    expect((await request(runtime.app).get('/v1/jobs').set(alice).expect(200)).body.jobs).toEqual([]);
  });

  it('exports jobs by state, the queue depth and the age of the oldest waiting job', async () => {
    await runtime.dispose();
    engine = new FakeEngine({ output: goodOutput }).script({ output: goodOutput }, { waitForAbort: true });
    runtime = await unitRuntime(engine, { config: { auth: { enabled: false }, limits: { maxConcurrentPerKey: 1 }, cache: { enabled: false } } });
    const submit = async () => (await request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review }).expect(202)).body.id as string;
    const first = await submit();
    await settled(runtime, first);
    await submit(); // runs, and holds the key's one slot
    expect(await waitUntil(() => engine.requests.length === 2, 2000, 5)).toBe(true);
    await submit(); // waits
    let text = '';
    const age = () => Number(/^ccp_jobs_oldest_queued_age_seconds (\S+)$/m.exec(text)?.[1]);
    expect(await waitUntil(async () => ((text = await runtime.metrics.registry.metrics()), age() > 0), 5000, 20)).toBe(true);
    expect(text).toContain('ccp_jobs_total{plugin="code-review",state="queued"} 3');
    expect(text).toContain('ccp_jobs_total{plugin="code-review",state="succeeded"} 1');
    expect(text).toContain('ccp_jobs_queued 1');
    expect(text).toContain('ccp_jobs_running 1');
    expect(age()).toBeLessThan(30);
  });

  it('refuses more than jobs.maxQueuedPerKey queued jobs with 429 too_many_jobs', async () => {
    await runtime.dispose();
    engine = new FakeEngine({ waitForAbort: true });
    runtime = await unitRuntime(engine, { config: { auth: { enabled: false }, limits: { maxConcurrentPerKey: 1 }, jobs: { maxQueuedPerKey: 2 } } });
    const submit = () => request(runtime.app).post('/v1/jobs').send({ plugin: 'code-review', operation: 'review', input: review });
    expect((await submit()).status).toBe(202); // runs
    expect(await waitUntil(() => engine.requests.length === 1, 2000, 5)).toBe(true);
    expect((await submit()).status).toBe(202);
    expect((await submit()).status).toBe(202);
    const refused = await submit();
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('too_many_jobs');
  });

  it('records a failed job with its problem document', async () => {
    engine.script({ error: new Error('boom') });
    const { body } = await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(202);
    const job = await settled(runtime, body.id, alice);
    expect(job).toMatchObject({ state: 'failed', error: { code: expect.any(String), status: expect.any(Number), instance: `/v1/jobs/${body.id}` } });
  });

  it('refuses submissions while draining, and the queue starts no job then', async () => {
    runtime.lifecycle.startDraining();
    expect((await request(runtime.app).post('/v1/jobs').set(alice).send({ plugin: 'code-review', operation: 'review', input: review }).expect(503)).body.code).toBe('shutting_down');
  });

  it('describes the job routes in /openapi.json', async () => {
    const doc = (await request(runtime.app).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/v1/jobs'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/jobs/{jobId}'] ?? {}).sort()).toEqual(['delete', 'get']);
    expect(doc.paths['/v1/jobs/{jobId}/events']?.get).toBeDefined();
  });
});
