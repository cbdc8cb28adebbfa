import { ClaudeError } from '../engine/types';
import { FakeEngine, unitRuntime } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../composition-root';
import { hashKey } from '../auth/api-keys';

const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const goodOutput = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };

async function runtimeWith(client: FakeEngine, options: { apiKey?: string | null; bodyLimitBytes?: number } = {}): Promise<Runtime> {
  return unitRuntime(client, {
    config: { auth: { enabled: false }, server: { bodyLimitBytes: options.bodyLimitBytes ?? 2 * 1024 * 1024 } },
    secrets: options.apiKey === null ? null : { anthropicApiKey: options.apiKey ?? 'sk-ant-unit' },
  });
}

/** superagent JSON-encodes a Buffer for a JSON Content-Type; this sends its bytes as they are. */
const asIs = (bytes: Buffer) => bytes as unknown as string;

function expectProblem(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String), type: `urn:claude-code-platform:problem:${code.replaceAll('_', '-')}` });
  expect(res.body.requestId).toBe(res.headers['x-request-id']);
  expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|\/work\//);
}

describe('HTTP surface (fake client)', () => {
  let runtime: Runtime;
  let client: FakeEngine;
  beforeEach(async () => {
    client = new FakeEngine({ output: goodOutput });
    runtime = await runtimeWith(client);
  });
  afterEach(() => runtime.dispose());

  it('lists plugins with their operations and tool policy', async () => {
    const res = await request(runtime.app).get('/v1/plugins').expect(200);
    expect(res.body.plugins.map((p: { id: string }) => p.id)).toEqual(['code-review', 'doc-generator', 'test-helper', 'migration-advisor']);
    expect(res.body.plugins).toContainEqual(
      expect.objectContaining({
        id: 'code-review',
        version: '1.1.0',
        tools: { allow: ['Read', 'Grep', 'Glob'], mode: 'dontAsk' },
        operations: [expect.objectContaining({ name: 'review', method: 'POST', path: '/v1/plugins/code-review/review' })],
      }),
    );
  });

  it('describes one plugin with its schemas and an example', async () => {
    const res = await request(runtime.app).get('/v1/plugins/code-review').expect(200);
    expect(res.body.operations[0].inputSchema.type).toBe('object');
    expect(res.body.operations[0].resultSchema.required).toEqual(['summary', 'findings', 'filesReviewed', 'filesNotReviewed', 'resolved']);
    expect(res.body.operations[0].example.files).toHaveLength(1);
  });

  it('runs an operation and answers with result, usage, duration and session', async () => {
    const res = await request(runtime.app).post('/v1/plugins/code-review/review').send(review).expect(200);
    expect(res.body).toEqual({ result: { ...goodOutput, filesNotReviewed: [], resolved: [] }, usage: { inputTokens: 100, outputTokens: 20, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0.001 }, durationMs: expect.any(Number), sessionId: 'fake-1' });
    const sent = client.requests[0];
    expect(sent?.files).toEqual(review.files);
    expect(sent?.tools).toEqual({ allow: ['Read', 'Grep', 'Glob'], mode: 'dontAsk' });
    expect(sent?.systemPrompt).toContain('senior software engineer');
    expect(sent?.outputSchema).toMatchObject({ type: 'object' });
  });

  it('answers 404 problems for unknown plugins, operations and routes', async () => {
    expectProblem(await request(runtime.app).post('/v1/plugins/nope/review').send(review), 404, 'plugin_not_found');
    expectProblem(await request(runtime.app).post('/v1/plugins/code-review/nope').send(review), 404, 'operation_not_found');
    expectProblem(await request(runtime.app).get('/v1/plugins/nope'), 404, 'plugin_not_found');
    expectProblem(await request(runtime.app).get('/v2/anything'), 404, 'route_not_found');
  });

  it('answers 400 listing every field error, and never calls the client', async () => {
    const res = await request(runtime.app)
      .post('/v1/plugins/code-review/review')
      .send({ files: [{ path: '/etc/passwd', content: 1 }], focus: ['vibes'], tools: ['Bash'], permissionMode: 'bypassPermissions' });
    expectProblem(res, 400, 'invalid_input');
    const fields = (res.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['files.0.path', 'files.0.content', 'focus.0', 'tools, permissionMode']));
    expect(client.requests).toHaveLength(0);
  });

  it('answers 400 for malformed JSON, 415 for other media types and bodies that are not UTF-8, 413 for large bodies', async () => {
    expectProblem(await request(runtime.app).post('/v1/plugins/code-review/review').set('content-type', 'application/json').send('{"files": ['), 400, 'invalid_json');
    expectProblem(await request(runtime.app).post('/v1/plugins/code-review/review').set('content-type', 'text/plain').send('hello'), 415, 'unsupported_media_type');
    const notUtf8 = Buffer.concat([Buffer.from('{"files":[{"path":"a.ts","content":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}]}')]);
    const invalid = await request(runtime.app).post('/v1/plugins/code-review/review').set('content-type', 'application/json').serialize(asIs).send(notUtf8);
    expectProblem(invalid, 415, 'unsupported_media_type');
    expect(invalid.body.detail).toContain('not valid UTF-8');
    const utf16 = await request(runtime.app).post('/v1/plugins/code-review/review').set('content-type', 'application/json; charset=utf-16le').serialize(asIs).send(Buffer.from(JSON.stringify(review), 'utf16le'));
    expectProblem(utf16, 415, 'unsupported_media_type');
    const small = await runtimeWith(client, { bodyLimitBytes: 1024 });
    try {
      const big = { files: [{ path: 'a.ts', content: 'x'.repeat(5000) }] };
      expectProblem(await request(small.app).post('/v1/plugins/code-review/review').send(big), 413, 'body_too_large');
    } finally {
      await small.dispose();
    }
    expect(client.requests).toHaveLength(0);
    await request(runtime.app).post('/v1/plugins/code-review/review').send(review).expect(200);
  });

  it('answers a session message without a body 400 empty_body, and a non-JSON session start 415', async () => {
    expectProblem(await request(runtime.app).post('/v1/sessions/any/messages'), 400, 'empty_body');
    expectProblem(await request(runtime.app).post('/v1/sessions/any/messages').set('content-type', 'application/json').set('content-length', '0'), 400, 'empty_body');
    expectProblem(await request(runtime.app).post('/v1/sessions/any/messages').set('content-type', 'text/plain').send('hi'), 415, 'unsupported_media_type');
    expectProblem(await request(runtime.app).post('/v1/plugins/code-review/sessions').set('content-type', 'text/plain').send('{}'), 415, 'unsupported_media_type');
    await request(runtime.app).post('/v1/plugins/code-review/sessions').expect(201); // the start's body is optional
  });

  it('maps client failures to problems; the breaker-open one carries Retry-After', async () => {
    client.script(
      { error: new ClaudeError('overloaded', 'x') },
      { error: new ClaudeError('timeout', 'x') },
      { error: new ClaudeError('circuit_open', 'x', undefined, 17) },
      { error: new Error('a bug with a /work/secret/path in it') },
      { output: { summary: 1 } },
    );
    const post = () => request(runtime.app).post('/v1/plugins/code-review/review').send(review);
    expectProblem(await post(), 503, 'upstream_overloaded');
    expectProblem(await post(), 504, 'upstream_timeout');
    const open = await post();
    expectProblem(open, 503, 'circuit_open');
    expect(open.headers['retry-after']).toBe('17');
    expectProblem(await post(), 500, 'internal_error');
    expectProblem(await post(), 502, 'invalid_agent_output');
    await post().expect(200);
  });

  it('echoes a safe X-Request-Id and replaces an unsafe one', async () => {
    expect((await request(runtime.app).get('/health/live').set('x-request-id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    expect((await request(runtime.app).get('/health/live').set('x-request-id', '<script>')).headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets helmet headers', async () => {
    const res = await request(runtime.app).get('/health/live');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('labels HTTP metrics with route templates, not raw paths', async () => {
    await request(runtime.app).post('/v1/plugins/code-review/review').send(review);
    await request(runtime.app).post('/v1/plugins/nope/x').send(review);
    const text = await runtime.metrics.registry.metrics();
    expect(text).toContain('route="/v1/plugins/:id/:operation",status_code="200"');
    expect(text).toContain('route="/v1/plugins/:id/:operation",status_code="404"');
    expect(text).not.toContain('/v1/plugins/nope');
  });
});

describe('without credentials', () => {
  it('starts, says so on /health/ready, and answers 503 with how to fix it', async () => {
    const client = new FakeEngine();
    const runtime = await runtimeWith(client, { apiKey: null });
    try {
      const ready = await request(runtime.app).get('/health/ready').expect(503);
      expect(ready.body.components.credentials).toMatchObject({ status: 'down', detail: expect.stringContaining('ANTHROPIC_API_KEY') });
      const res = await request(runtime.app).post('/v1/plugins/code-review/review').send(review);
      expectProblem(res, 503, 'credentials_missing');
      expect(res.body.detail).toContain('npm run demo');
      expect(client.requests).toHaveLength(0);
    } finally {
      await runtime.dispose();
    }
  });
});

describe('/health/ready behind authentication', () => {
  it('tells a caller without an admin key each component status and nothing more', async () => {
    const admin = 'ccp_app_test_admin_key_0123456789abcdef';
    const user = 'ccp_app_test_user_key_0123456789abcdef';
    const runtime = await unitRuntime(new FakeEngine(), { config: { auth: { keys: [{ name: 'ops', sha256: hashKey(admin), roles: ['admin'] }, { name: 'ci', sha256: hashKey(user) }] } } });
    try {
      for (const headers of [{}, { authorization: `Bearer ${user}` }]) {
        const res = await request(runtime.app).get('/health/ready').set(headers).expect(200);
        expect(Object.values(res.body.components).every((c) => Object.keys(c as object).join() === 'status')).toBe(true);
        expect(JSON.stringify(res.body)).not.toMatch(/ANTHROPIC_API_KEY|code-review|"keys"/);
      }
      const full = await request(runtime.app).get('/health/ready').set('authorization', `Bearer ${admin}`).expect(200);
      expect(full.body.components).toMatchObject({ credentials: { status: 'ok', kind: 'ANTHROPIC_API_KEY' }, authentication: { status: 'ok', keys: 2 }, plugins: { ids: expect.arrayContaining(['code-review']) }, audit: { status: 'ok', sink: 'stdout' } });
    } finally {
      await runtime.dispose();
    }
  });
});
