import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { MESSAGES_ENGINE, override, type Runtime } from '@ccp/runtime';
import { loadServerConfig, SHIPPED_CONFIG_FILE } from '@ccp/server';
import { FakeEngine, readEventStream, sampleFromSchema, testKey, unitRuntime } from '@ccp/testing';
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';

// The API says what it does: a client generated from the served /openapi.json (types by
// openapi-typescript, calls by openapi-fetch) calls every route of the document against the
// real runtime around a fake engine, and this file type-checks against those types
// (`tsc -p tsconfig.tests.json`). The document and the types are committed; `npm run openapi`
// regenerates both, and the first test fails while either is stale.

const root = join(__dirname, '../..');
const DOCUMENT_FILE = join(root, 'docs/openapi.json');
const TYPES_FILE = join(__dirname, 'generated/openapi.d.ts');

type Schemas = components['schemas'];
type Document = { paths: Record<string, Record<string, { operationId: string }>>; components: { schemas: Record<string, unknown> } };

const user = testKey('client-user');
const admin = testKey('client-admin', { roles: ['admin'] });
const files = [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);\n' }];

/** An operation's synchronous answer (its other 2xx, with Prefer: respond-async, is a job document). */
function answered<T extends object>(data: T | undefined): Exclude<T, { state: unknown }> | undefined {
  return data && !('state' in data) ? (data as Exclude<T, { state: unknown }>) : undefined;
}

describe('a client generated from /openapi.json', () => {
  const engine = new FakeEngine();
  let runtime: Runtime;
  let server: Server;
  let served: Document;
  // What the clients asked, as `METHOD /path/{template}`: the last test compares it with the document.
  const called = new Set<string>();
  const record: Middleware = {
    onRequest: ({ request, schemaPath }) => {
      called.add(`${request.method} ${schemaPath}`);
      return undefined;
    },
  };
  const client = (headers: Record<string, string> = {}) => {
    // JSON bodies and problems (application/problem+json); the SSE alternative is read raw
    // (parseAs: 'stream'), and a result's report formats (application/sarif+json, …) are left out of the types.
    const c = createClient<paths, 'application/json' | 'application/problem+json'>({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, headers });
    c.use(record);
    return c;
  };
  let api: ReturnType<typeof client>;
  let adminApi: ReturnType<typeof client>;
  let anonymous: ReturnType<typeof client>;

  /** The next engine call answers with a valid output of this operation (as the model would). */
  const answers = (plugin: string, operation: string) => {
    const op = runtime.registry.get(plugin)?.operations.get(operation);
    if (!op) throw new Error(`${plugin}.${operation} is not served`);
    engine.script({ output: sampleFromSchema(op.outputSchema) });
  };

  // Keys made at run time and the ledger live in an embedded database of this file's own.
  const dataDir = mkdtempSync(join(tmpdir(), 'ccp-contract-'));

  beforeAll(async () => {
    runtime = await unitRuntime(engine, {
      // The shipped plugins, as `npm run openapi` documents them (tools/openapi-types/generate.mjs).
      config: { plugins: loadServerConfig({}).config.plugins, auth: { enabled: true, keys: [user.entry, admin.entry] }, cache: { enabled: false }, database: { embeddedDir: dataDir, ledger: { flushMs: 20 } } },
      baseDir: dirname(SHIPPED_CONFIG_FILE),
      // commit-message runs on the messages engine: the same fake answers for it.
      overrides: [override(MESSAGES_ENGINE, engine)],
    });
    server = await runtime.listen(0, '127.0.0.1');
    api = client(user.headers);
    adminApi = client(admin.headers);
    anonymous = client();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await runtime.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('is generated from the document the server serves (else: `npm run openapi`, then commit both files)', async () => {
    const { data, response } = await anonymous.GET('/openapi.json');
    expect(response.status).toBe(200);
    served = data as unknown as Document;
    const committed = readFileSync(DOCUMENT_FILE, 'utf8');
    expect(JSON.parse(committed)).toEqual(served);
    const sha256 = createHash('sha256').update(committed).digest('hex');
    expect(readFileSync(TYPES_FILE, 'utf8').split('\n')[0]).toContain(`(sha256 ${sha256})`);
  });

  it('lists and describes the plugins', async () => {
    const list = await api.GET('/v1/plugins');
    expect(list.response.status).toBe(200);
    const plugins: Schemas['Plugin'][] = list.data?.plugins ?? [];
    expect(plugins.map((p) => p.id)).toEqual(runtime.registry.list().map((p) => p.definition.id));

    const one = await api.GET('/v1/plugins/{id}', { params: { path: { id: 'code-review' } } });
    expect(one.data?.operations.map((o) => o.path)).toEqual(['/v1/plugins/code-review/review']);
    const missing = await api.GET('/v1/plugins/{id}', { params: { path: { id: 'no-such-plugin' } } });
    const problem: Schemas['Problem'] | undefined = missing.error;
    expect({ status: missing.response.status, code: problem?.code }).toEqual({ status: 404, code: 'plugin_not_found' });
  });

  it('runs every plugin operation, each with its own typed input and result', async () => {
    answers('code-review', 'review');
    const review = await api.POST('/v1/plugins/code-review/review', { body: { files, focus: ['correctness'] } });
    expect(review.response.status).toBe(200);
    expect(answered(review.data)?.result.filesNotReviewed).toEqual(['src/sum.ts']);

    // `audience` has a default: a caller may leave it out, so the generated type has it optional.
    answers('doc-generator', 'generate');
    const docs = await api.POST('/v1/plugins/doc-generator/generate', { body: { files, style: 'tsdoc' } });
    const documents: Schemas['doc-generator.generate.result']['documents'] | undefined = answered(docs.data)?.result.documents;
    expect({ status: docs.response.status, documents: Array.isArray(documents) }).toEqual({ status: 200, documents: true });

    answers('test-helper', 'generate-tests');
    const tests = await api.POST('/v1/plugins/test-helper/generate-tests', { body: { files, framework: 'jest' } });
    expect({ status: tests.response.status, notes: typeof answered(tests.data)?.result.notes }).toEqual({ status: 200, notes: 'string' });

    answers('migration-advisor', 'assess');
    const plan = await api.POST('/v1/plugins/migration-advisor/assess', { body: { files, from: 'express 4', to: 'express 5' } });
    expect({ status: plan.response.status, effort: answered(plan.data)?.result.effort }).toEqual({ status: 200, effort: expect.stringMatching(/^(small|medium|large)$/) });

    answers('commit-message', 'write');
    const commit = await api.POST('/v1/plugins/commit-message/write', { body: { diff: 'diff --git a/x b/x\n+x\n' } });
    expect({ status: commit.response.status, usage: answered(commit.data)?.usage.inputTokens }).toEqual({ status: 200, usage: 100 });
  });

  it('streams an operation as Server-Sent Events (read raw)', async () => {
    answers('code-review', 'review');
    const { response } = await api.POST('/v1/plugins/code-review/review', { body: { files }, headers: { accept: 'text/event-stream' }, parseAs: 'stream' });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readEventStream(response);
    expect(events.map((e) => e.event)).toEqual(['start', 'text', 'result']);
    const start = events[0]?.data as Schemas['StartEvent'];
    expect(start.requestId).toEqual(expect.any(String));
  });

  it('starts, inspects, lists, continues and deletes a session', async () => {
    answers('code-review', 'review');
    const started = await api.POST('/v1/plugins/{id}/sessions', { params: { path: { id: 'code-review' } }, body: { operation: 'review', input: { files } } });
    expect(started.response.status).toBe(201);
    const sessionId = started.data?.sessionId ?? '';
    expect(started.response.headers.get('location')).toBe(`/v1/sessions/${sessionId}`);

    const one = await api.GET('/v1/sessions/{sessionId}', { params: { path: { sessionId } } });
    const session: Schemas['Session'] | undefined = one.data;
    expect({ plugin: session?.plugin, turns: session?.turns }).toEqual({ plugin: 'code-review', turns: 1 });

    const list = await api.GET('/v1/sessions');
    expect(list.data?.sessions.map((s) => s.sessionId)).toEqual([sessionId]);

    engine.script({ output: { text: 'Line 1 is fine.' } });
    const reply = await api.POST('/v1/sessions/{sessionId}/messages', { params: { path: { sessionId } }, body: { text: 'Why is line 1 a problem?' } });
    expect({ status: reply.response.status, text: typeof reply.data?.result.text }).toEqual({ status: 200, text: 'string' });

    const turns = await api.GET('/v1/sessions/{sessionId}/turns', { params: { path: { sessionId } } });
    const log: Schemas['SessionTurn'][] = turns.data?.turns ?? [];
    expect(log.map((t) => [t.turn, t.operation, t.input])).toEqual([[1, 'review', { files }], [2, 'message', { text: 'Why is line 1 a problem?' }]]);

    const deleted = await api.DELETE('/v1/sessions/{sessionId}', { params: { path: { sessionId } } });
    expect(deleted.response.status).toBe(204);
  });

  it('submits a job, watches it, reads its result as SARIF and its events, lists it and cancels it', async () => {
    answers('code-review', 'review');
    const submitted = await api.POST('/v1/jobs', { body: { plugin: 'code-review', operation: 'review', input: { files } } });
    expect(submitted.response.status).toBe(202);
    const jobId = submitted.data?.id ?? '';
    expect(submitted.response.headers.get('location')).toBe(`/v1/jobs/${jobId}`);
    let state = submitted.data?.state;
    for (let i = 0; i < 200 && state !== 'succeeded' && state !== 'failed'; i++) {
      await new Promise((r) => setImmediate(r));
      state = (await api.GET('/v1/jobs/{jobId}', { params: { path: { jobId } } })).data?.state;
    }
    expect(state).toBe('succeeded');
    const result = await api.GET('/v1/jobs/{jobId}/result', { params: { path: { jobId }, query: { format: 'sarif' } }, parseAs: 'json' });
    expect({ status: result.response.status, type: result.response.headers.get('content-type'), version: (result.data as unknown as { version?: string } | undefined)?.version }).toEqual({ status: 200, type: 'application/sarif+json; charset=utf-8', version: '2.1.0' });
    const events = await api.GET('/v1/jobs/{jobId}/events', { params: { path: { jobId } }, parseAs: 'stream' });
    expect((await readEventStream(events.response)).at(-1)?.event).toBe('result');
    const list = await api.GET('/v1/jobs');
    expect(list.data?.jobs.map((j) => j.id)).toContain(jobId);
    // Submitted without a webhook (the shipped config allows none): nothing to deliver, nothing to redeliver.
    const deliveries: Schemas['WebhookDeliveries'] | undefined = (await api.GET('/v1/jobs/{jobId}/deliveries', { params: { path: { jobId } } })).data;
    expect(deliveries).toEqual({ jobId, state: 'none', attempts: [] });
    const redeliver = await adminApi.POST('/v1/admin/jobs/{jobId}/redeliver', { params: { path: { jobId } } });
    expect({ status: redeliver.response.status, code: redeliver.error?.code }).toEqual({ status: 409, code: 'job_not_redeliverable' });
    // Ended: DELETE removes it and all it stored.
    const deleted = await api.DELETE('/v1/jobs/{jobId}', { params: { path: { jobId } } });
    expect(deleted.response.status).toBe(204);
    expect((await api.GET('/v1/jobs/{jobId}', { params: { path: { jobId } } })).response.status).toBe(404);
    const purged = await adminApi.DELETE('/v1/admin/keys/{keyName}/jobs', { params: { path: { keyName: 'nobody' } } });
    expect(purged.data).toEqual({ key: 'nobody', deleted: 0 });
  });

  it('submits a batch, reads its counts and jobs, and cancels it', async () => {
    answers('code-review', 'review');
    const submitted = await api.POST('/v1/batches', { body: { requests: [{ customId: 'one', plugin: 'code-review', operation: 'review', input: { files } }] } });
    expect(submitted.response.status).toBe(202);
    const batchId = submitted.data?.id ?? '';
    expect(submitted.response.headers.get('location')).toBe(`/v1/batches/${batchId}`);
    let batch: Schemas['Batch'] | undefined = submitted.data;
    for (let i = 0; i < 200 && batch?.state !== 'ended'; i++) {
      await new Promise((r) => setImmediate(r));
      batch = (await api.GET('/v1/batches/{batchId}', { params: { path: { batchId } } })).data;
    }
    expect(batch).toMatchObject({ state: 'ended', total: 1, counts: { succeeded: 1 }, jobs: [{ customId: 'one', state: 'succeeded' }] });
    const cancelled = await api.DELETE('/v1/batches/{batchId}', { params: { path: { batchId } } });
    expect(cancelled.data?.state).toBe('ended');
  });

  it('reads and resets the breaker and reads usage with an admin key', async () => {
    const breaker: Schemas['Breaker'] | undefined = (await adminApi.GET('/v1/admin/breaker')).data;
    expect(breaker?.state).toBe('closed');
    const reset = await adminApi.POST('/v1/admin/breaker/reset');
    expect(reset.data).toEqual({ state: 'closed' });
    const budgets: Schemas['KeyBudgets'] | undefined = (await adminApi.GET('/v1/admin/budgets')).data;
    expect(budgets?.keys.map((k) => k.name)).toEqual(['client-user', 'client-admin']);
    expect((await api.GET('/v1/admin/budgets')).error?.code).toBe('forbidden');
    const audit = await adminApi.GET('/v1/admin/audit', { params: { query: { key: 'client-user', limit: 5 } } });
    expect(audit.data?.entries.every((e) => e.key === 'client-user')).toBe(true);
    expect((await api.GET('/v1/admin/audit')).error?.code).toBe('forbidden');
  });

  it('creates, lists, changes, rotates and revokes a key, and reads usage from the ledger', async () => {
    const made = await adminApi.POST('/v1/admin/keys', { body: { name: 'typed-bot', plugins: ['code-review'] } });
    expect(made.response.status).toBe(201);
    const issued: Schemas['IssuedApiKey'] | undefined = made.data;
    const id = issued?.key.id ?? '';
    expect(issued?.secret).toMatch(/^ccp_/);
    const listed: Schemas['ApiKey'][] = (await adminApi.GET('/v1/admin/keys')).data?.keys ?? [];
    expect(listed.map((k) => k.name)).toEqual(['client-user', 'client-admin', 'typed-bot']);
    expect((await adminApi.GET('/v1/admin/keys/{keyId}', { params: { path: { keyId: id } } })).data?.state).toBe('active');
    expect((await adminApi.PATCH('/v1/admin/keys/{keyId}', { params: { path: { keyId: id } }, body: { maxConcurrent: 2 } })).data?.maxConcurrent).toBe(2);
    const rotated = await adminApi.POST('/v1/admin/keys/{keyId}/rotate', { params: { path: { keyId: id } }, body: { gracePeriodSeconds: 0 } });
    expect(rotated.data?.secret).not.toBe(issued?.secret);
    expect((await adminApi.DELETE('/v1/admin/keys/{keyId}', { params: { path: { keyId: id } } })).data?.state).toBe('revoked');
    const usage: Schemas['UsageReport'] | undefined = (await adminApi.GET('/v1/admin/usage', { params: { query: { groupBy: 'plugin' } } })).data;
    expect(usage?.groupBy).toBe('plugin');
    const own: Schemas['UsageReport'] | undefined = (await api.GET('/v1/usage', { params: { query: { groupBy: 'day' } } })).data;
    expect(own?.groups.every((g) => /^\d{4}-\d{2}-\d{2}$/.test(g.group))).toBe(true);
  });

  it('reads the status and the calling key, as the console does', async () => {
    const status: Schemas['Status'] | undefined = (await api.GET('/v1/status')).data;
    expect(status?.breaker.state).toBe('closed');
    const me: Schemas['Me'] | undefined = (await api.GET('/v1/me')).data;
    expect(me).toEqual({ name: 'client-user', roles: ['user'], plugins: ['*'] });
  });

  it('answers the probes and Prometheus', async () => {
    expect((await anonymous.GET('/health/live')).data).toEqual({ status: 'ok' });
    const ready = await anonymous.GET('/health/ready');
    const readiness: Schemas['Readiness'] | undefined = ready.data;
    expect({ status: ready.response.status, ready: readiness?.status }).toEqual({ status: 200, ready: 'ready' });
    const metrics = await anonymous.GET('/metrics', { parseAs: 'text' });
    expect(metrics.data).toContain('# TYPE');
  });

  it('serves the documentation', async () => {
    const page = await anonymous.GET('/docs', { parseAs: 'text' });
    expect(page.data).toContain('/v1/plugins/code-review/review');
    expect((await anonymous.GET('/docs/try.js', { parseAs: 'text' })).data).toContain('form.try');
    const root = await anonymous.GET('/', { redirect: 'manual', parseAs: 'text' });
    expect({ status: root.response.status, location: root.response.headers.get('location') }).toEqual({ status: 302, location: '/docs' });
    expect((await anonymous.GET('/favicon.ico')).response.status).toBe(204);
    const consolePage = await anonymous.GET('/console', { parseAs: 'text' });
    const script = /\/console\/assets\/([\w.-]+\.js)/.exec(consolePage.data ?? '')?.[1] ?? '';
    expect(script).not.toBe('');
    expect((await anonymous.GET('/console/assets/{file}', { params: { path: { file: script } }, parseAs: 'text' })).response.headers.get('cache-control')).toContain('immutable');
  });

  it('opens, streams and closes an MCP session on /mcp', async () => {
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'typed-client', version: '1.0.0' } } };
    const opened = await api.POST('/mcp', { body: initialize, headers: { accept: 'application/json, text/event-stream' }, parseAs: 'text' });
    expect(opened.response.status).toBe(200);
    expect(opened.data).toContain('"serverInfo"');
    const session = { 'mcp-session-id': opened.response.headers.get('mcp-session-id') ?? '', 'mcp-protocol-version': '2025-06-18' };
    expect(session['mcp-session-id']).not.toBe('');
    const stream = await api.GET('/mcp', { headers: { ...session, accept: 'text/event-stream' }, parseAs: 'stream' });
    expect(stream.response.headers.get('content-type')).toContain('text/event-stream');
    await stream.response.body?.cancel();
    expect((await api.DELETE('/mcp', { headers: session, parseAs: 'text' })).response.status).toBe(200);
    expect((await api.DELETE('/mcp', { headers: session })).response.status).toBe(404);
  });

  it('describes the WebSocket (its frames as components)', () => {
    // The socket itself is not an HTTP call; its frames type-check against the generated types.
    const invoke: Schemas['WsClientMessage'] = { type: 'invoke', id: 'a', plugin: 'code-review', operation: 'review', input: { files } };
    const result: Schemas['WsServerEvent']['type'] = 'result';
    expect([invoke.type, result]).toEqual(['invoke', 'result']);
    expect(served.paths['/v1/ws']?.get?.operationId).toBe('webSocket');
    expect(Object.keys(served.components.schemas)).toEqual(expect.arrayContaining(['WsClientMessage', 'WsServerEvent']));
  });

  it('has called every route of the document but the WebSocket', () => {
    const documented = Object.entries(served.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect([...called].sort()).toEqual(documented.filter((r) => r !== 'GET /v1/ws').sort());
  });
});
