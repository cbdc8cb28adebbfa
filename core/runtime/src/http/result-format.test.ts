import { defineOperation, definePlugin } from '@ccp/plugin-api';
import { FakeEngine, unitRuntime, waitUntil } from '@ccp/testing';
import request from 'supertest';
import { z } from 'zod';
import type { Runtime } from '../composition-root';

// A plugin with two result formats, and an operation without any.
const input = z.strictObject({ text: z.string(), lang: z.string().default('en') });
const output = z.strictObject({ words: z.number() });
const reportPlugin = definePlugin({
  id: 'word-count',
  version: '1.0.0',
  description: 'Counts words.',
  systemPrompt: 'You count the words of the text you are given.',
  tools: { allow: [], mode: 'dontAsk' },
  operations: {
    count: defineOperation({
      description: 'Count words.',
      input,
      output,
      prepare: (i) => ({ prompt: i.text }),
      example: { text: 'a b' },
      formats: [
        { name: 'txt', mediaType: 'text/plain', description: 'One line.', render: (r, c) => `${(r as { words: number }).words} words (${(c.input as { lang: string }).lang})\n` },
        { name: 'report', mediaType: 'application/vnd.test.report+json', description: 'A report.', render: (r, c) => ({ report: r, input: c.input }) },
      ],
    }),
    plain: defineOperation({ description: 'No formats.', input, output, prepare: (i) => ({ prompt: i.text }), example: { text: 'a' } }),
  },
});

/** The body as text, whatever its media type. */
const asText = (res: request.Response, done: (err: Error | null, body: string) => void) => {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (text += chunk));
  res.on('end', () => done(null, text));
};

describe('result formats: ?format= and Accept', () => {
  let runtime: Runtime;
  let engine: FakeEngine;
  const post = (path = '/v1/plugins/word-count/count') => request(runtime.app).post(path).buffer(true).parse(asText);
  const body = { text: 'one two three' };
  beforeEach(async () => {
    engine = new FakeEngine({ output: { words: 3 } });
    runtime = await unitRuntime(engine, { builtins: [reportPlugin], config: { auth: { enabled: false }, cache: { enabled: false } } });
  });
  afterEach(() => runtime.dispose());

  it('answers JSON by default and for Accept: */* or application/json, varying on Accept', async () => {
    for (const accept of [undefined, '*/*', 'application/json', 'application/*']) {
      const req = post().send(body);
      const res = await (accept ? req.set('accept', accept) : req).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.body as string)).toMatchObject({ result: { words: 3 }, usage: expect.any(Object) });
      expect(res.headers.vary).toMatch(/Accept/);
    }
  });

  it('renders the format ?format= names, with the input as the operation parsed it (defaults applied)', async () => {
    const res = await post('/v1/plugins/word-count/count?format=report').send(body).expect(200);
    expect(res.headers['content-type']).toBe('application/vnd.test.report+json; charset=utf-8');
    expect(JSON.parse(res.body as string)).toEqual({ report: { words: 3 }, input: { text: 'one two three', lang: 'en' } });
  });

  it('picks the format by Accept, q-values and wildcards included; ?format= wins over Accept', async () => {
    expect((await post().set('accept', 'text/plain').send(body).expect(200)).body).toBe('3 words (en)\n');
    expect((await post().set('accept', 'text/*').send(body).expect(200)).headers['content-type']).toBe('text/plain; charset=utf-8');
    const weighed = await post().set('accept', 'text/plain;q=0.5, application/vnd.test.report+json').send(body).expect(200);
    expect(weighed.headers['content-type']).toMatch(/^application\/vnd\.test\.report\+json/);
    const json = await post('/v1/plugins/word-count/count?format=json').set('accept', 'text/plain').send(body).expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('refuses an unknown format, an Accept it cannot meet and a format on a stream with 406 unsupported_format, before anything runs', async () => {
    const cases = [
      post('/v1/plugins/word-count/count?format=sarif').send(body),
      post().set('accept', 'application/xml').send(body),
      post('/v1/plugins/word-count/count?format=txt').set('accept', 'text/event-stream').send(body),
      post('/v1/plugins/word-count/plain').set('accept', 'text/plain').send(body),
      post('/v1/plugins/word-count/count?format=txt&format=report').send(body),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.status).toBe(406);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res.body as string) as { code: string; detail: string };
      expect(problem.code).toBe('unsupported_format');
    }
    const detail = (JSON.parse((await cases[0])!.body as string) as { detail: string }).detail;
    expect(detail).toBe('word-count/count has no format "sarif". Its formats: json (application/json), txt (text/plain), report (application/vnd.test.report+json).');
    expect(engine.requests).toHaveLength(0);
  });

  it('counts a request refused for its format against the per-key rate limit, once', async () => {
    const limited = await unitRuntime(new FakeEngine({ output: { words: 3 } }), { builtins: [reportPlugin], config: { auth: { enabled: false }, cache: { enabled: false }, rateLimits: { perKey: 3 } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await request(limited.app).post('/v1/plugins/word-count/count?format=nope').send(body)).status);
      statuses.push((await request(limited.app).post('/v1/plugins/word-count/count').send(body)).status);
      expect(statuses).toEqual([406, 406, 406, 429]);
    } finally {
      await limited.dispose();
    }
  });

  it('streams as before with Accept: text/event-stream and no format', async () => {
    const res = await post().set('accept', 'text/event-stream').send(body).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.body).toContain('event: result');
  });

  it('lists each operation\'s formats in the plugin description and the API document', async () => {
    const described = await request(runtime.app).get('/v1/plugins/word-count').expect(200);
    expect(described.body.operations.map((o: { formats: { name: string }[] }) => o.formats.map((f) => f.name))).toEqual([['txt', 'report'], []]);
    const doc = (await request(runtime.app).get('/openapi.json').expect(200)).body;
    const op = doc.paths['/v1/plugins/word-count/count'].post;
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'txt', 'report'] } }));
    expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'text/event-stream', 'text/plain', 'application/vnd.test.report+json']);
    expect(op.responses['406']).toBeDefined();
    expect(doc.paths['/v1/plugins/word-count/plain'].post.parameters.map((p: { name: string }) => p.name)).not.toContain('format');
    expect(Object.keys(doc.paths['/v1/jobs/{jobId}/result'].get.responses['200'].content)).toEqual(['application/json', 'text/plain', 'application/vnd.test.report+json']);
  });
});

describe('GET /v1/jobs/:jobId/result', () => {
  let runtime: Runtime;
  let engine: FakeEngine;
  const get = (path: string) => request(runtime.app).get(path).buffer(true).parse(asText);
  beforeEach(async () => {
    engine = new FakeEngine({ output: { words: 3 } });
    runtime = await unitRuntime(engine, { builtins: [reportPlugin], config: { auth: { enabled: false }, cache: { enabled: false } } });
  });
  afterEach(() => runtime.dispose());

  const submit = async () => (await request(runtime.app).post('/v1/jobs').send({ plugin: 'word-count', operation: 'count', input: { text: 'a b c', lang: 'fr' } }).expect(202)).body.id as string;
  const state = async (id: string) => (await request(runtime.app).get(`/v1/jobs/${id}`).expect(200)).body.state as string;

  it('answers a finished job as its synchronous call would, as JSON or in a format of its operation', async () => {
    const id = await submit();
    await waitUntil(async () => (await state(id)) === 'succeeded', 5000, 10);
    const json = await get(`/v1/jobs/${id}/result`).expect(200);
    expect(JSON.parse(json.body as string)).toMatchObject({ result: { words: 3 }, usage: expect.any(Object), sessionId: expect.any(String) });
    expect((await get(`/v1/jobs/${id}/result?format=txt`).expect(200)).body).toBe('3 words (fr)\n');
    expect((await get(`/v1/jobs/${id}/result`).set('accept', 'application/vnd.test.report+json').expect(200)).headers['content-type']).toMatch(/^application\/vnd\.test\.report\+json/);
    expect((await get(`/v1/jobs/${id}/result?format=sarif`)).status).toBe(406);
  });

  it('is 409 job_not_finished with Retry-After while the job runs; the problem of a cancelled or failed job after', async () => {
    engine.script({ waitForAbort: true }, { error: new Error('boom') });
    const running = await submit();
    await waitUntil(async () => (await state(running)) === 'running', 5000, 10);
    const early = await get(`/v1/jobs/${running}/result`);
    expect(early.status).toBe(409);
    expect(early.headers['retry-after']).toBe('2');
    expect(JSON.parse(early.body as string)).toMatchObject({ code: 'job_not_finished' });
    await request(runtime.app).delete(`/v1/jobs/${running}`).expect(200);
    const cancelled = await get(`/v1/jobs/${running}/result?format=txt`);
    expect([cancelled.status, JSON.parse(cancelled.body as string).code]).toEqual([409, 'job_cancelled']);
    expect(cancelled.headers['content-type']).toMatch(/^application\/problem\+json/);
    const failing = await submit();
    await waitUntil(async () => (await state(failing)) === 'failed', 5000, 10);
    const failed = await get(`/v1/jobs/${failing}/result`);
    expect(failed.status).toBeGreaterThanOrEqual(500);
    expect(JSON.parse(failed.body as string).status).toBe(failed.status);
  });

  it('is 404 for a job that is not there', async () => {
    expect((await get('/v1/jobs/nope/result')).status).toBe(404);
  });
});
