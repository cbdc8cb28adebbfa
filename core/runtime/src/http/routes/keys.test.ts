import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { FakeEngine, unitRuntime, waitUntil } from '@ccp/testing';
import request from 'supertest';
import WebSocket from 'ws';
import { generateKey, hashKey } from '../../auth/api-keys';
import type { Runtime } from '../../composition-root';
import { CLOCK, override } from '../../tokens';

const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const goodOutput = { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] };
const admin = generateKey();
const asAdmin = { authorization: `Bearer ${admin}` };

describe('/v1/admin/keys and the ledger, on the embedded database', () => {
  let dir: string;
  let lines: string[];
  let now: Date;

  const start = (engine = new FakeEngine({ output: goodOutput }), extra: Record<string, unknown> = {}) =>
    unitRuntime(engine, {
      config: {
        logging: { level: 'info' },
        auth: { keys: [{ name: 'ops', sha256: hashKey(admin), roles: ['admin'] }] },
        database: { embeddedDir: dir, keyRefreshMs: 60_000, ledger: { flushMs: 20 } },
        cache: { enabled: false },
        ...extra,
      },
      logDestination: new Writable({ write: (chunk, _e, done) => (lines.push(...String(chunk).split('\n').filter(Boolean)), done()) }),
      overrides: [override(CLOCK, () => now)],
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ccp-keys-http-'));
    lines = [];
    now = new Date();
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const ledgerRows = async (rt: Runtime, key: Record<string, string>) => (await request(rt.app).get('/v1/usage?groupBy=key').set(key)).body.total?.calls ?? 0;

  it('creates a key that works at once, survives a restart with its ledger, and is refused once revoked; its secret leaks nowhere', async () => {
    let rt = await start();
    let secret = '';
    try {
      const made = await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'ci-bot', plugins: ['code-review'], budget: { monthlyUsd: 5 } }).expect(201);
      secret = made.body.secret;
      expect(made.headers.location).toBe(`/v1/admin/keys/${made.body.key.id}`);
      expect(made.headers['cache-control']).toBe('no-store');
      expect(made.body.key).toMatchObject({ name: 'ci-bot', source: 'database', state: 'active', plugins: ['code-review'], createdBy: 'ops', secrets: [{ prefix: secret.slice(0, 8), last4: secret.slice(-4) }] });
      const key = { authorization: `Bearer ${secret}` };
      await request(rt.app).post('/v1/plugins/code-review/review').set(key).send(review).expect(200);
      await request(rt.app).post('/v1/plugins/doc-generator/generate').set(key).send(review).expect(403);
      expect(await waitUntil(async () => (await ledgerRows(rt, key)) === 2, 5_000)).toBe(true);
      // Another key's calls are not in this key's own usage; the admin sees both.
      await request(rt.app).post('/v1/plugins/code-review/review').set(asAdmin).send(review).expect(200);
      expect(await waitUntil(async () => (await request(rt.app).get('/v1/admin/usage?groupBy=key').set(asAdmin)).body.total.calls === 3, 5_000)).toBe(true);
      expect(await ledgerRows(rt, key)).toBe(2);
      await request(rt.app).get('/v1/admin/usage').set(key).expect(403);
    } finally {
      await rt.dispose();
    }
    rt = await start();
    try {
      const key = { authorization: `Bearer ${secret}` };
      await request(rt.app).post('/v1/plugins/code-review/review').set(key).send(review).expect(200);
      const byPlugin = () => request(rt.app).get('/v1/admin/usage?groupBy=plugin').set(asAdmin).expect(200);
      expect(await waitUntil(async () => (await byPlugin()).body.total.calls === 4, 5_000)).toBe(true);
      const usage = await byPlugin();
      expect(usage.body.groups.map((g: { group: string; calls: number }) => [g.group, g.calls])).toEqual([['code-review', 3], ['doc-generator', 1]]);
      // The month's spend came back from the ledger into the budget counters.
      const budgets = await request(rt.app).get('/v1/admin/budgets').set(asAdmin).expect(200);
      expect(budgets.body.keys.find((k: { name: string }) => k.name === 'ci-bot').spentThisMonthUsd).toBeCloseTo(0.002, 6);
      const csv = await request(rt.app).get('/v1/admin/usage?groupBy=key&format=csv').set(asAdmin).expect(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.text).toMatch(/^group,keyName,calls/);
      const { id } = (await request(rt.app).get('/v1/admin/keys').set(asAdmin)).body.keys[1];
      await request(rt.app).delete(`/v1/admin/keys/${id}`).set(asAdmin).expect(200);
      const refused = await request(rt.app).post('/v1/plugins/code-review/review').set(key).send(review).expect(401);
      expect(refused.body.code).toBe('key_revoked');
      const responses = JSON.stringify([(await request(rt.app).get('/v1/admin/keys').set(asAdmin)).body, (await request(rt.app).get(`/v1/admin/keys/${id}`).set(asAdmin)).body, usage.body, csv.text, budgets.body]);
      const metrics = (await request(rt.app).get('/metrics')).text;
      expect(metrics).toMatch(/ccp_api_keys\{state="revoked"\} 1/);
      expect(metrics).toMatch(/ccp_ledger_rows_written_total \d+/);
      await rt.dispose();
      const logs = lines.join('\n');
      for (const where of [responses, metrics, logs]) expect(where).not.toContain(secret);
      expect(lines.some((l) => l.includes('"action":"key.revoked"') && l.includes('"actor":"ops"'))).toBe(true);
    } finally {
      await rt.dispose();
    }
  }, 60_000);

  it('rotates with a grace period on the injected clock, and refuses the old secret after it with key_expired', async () => {
    const rt = await start();
    try {
      const made = await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'rotating' }).expect(201);
      const old = { authorization: `Bearer ${made.body.secret}` };
      const rotated = await request(rt.app).post(`/v1/admin/keys/${made.body.key.id}/rotate`).set(asAdmin).send({ gracePeriodSeconds: 600 }).expect(200);
      const fresh = { authorization: `Bearer ${rotated.body.secret}` };
      await request(rt.app).get('/v1/plugins').set(old).expect(200);
      await request(rt.app).get('/v1/plugins').set(fresh).expect(200);
      now = new Date(now.getTime() + 600_000);
      const refused = await request(rt.app).get('/v1/plugins').set(old).expect(401);
      expect(refused.body.code).toBe('key_expired');
      expect(refused.headers['www-authenticate']).toContain('invalid_token');
      await request(rt.app).get('/v1/plugins').set(fresh).expect(200);
      const expired = await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'expired', expiresAt: new Date(now.getTime() - 1000).toISOString() }).expect(201);
      expect((await request(rt.app).get('/v1/plugins').set({ authorization: `Bearer ${expired.body.secret}` }).expect(401)).body.code).toBe('key_expired');
      const patched = await request(rt.app).patch(`/v1/admin/keys/${made.body.key.id}`).set(asAdmin).send({ roles: ['user', 'admin'], maxConcurrent: 3 }).expect(200);
      expect(patched.body).toMatchObject({ roles: ['user', 'admin'], maxConcurrent: 3 });
      await request(rt.app).get('/v1/admin/keys').set(fresh).expect(200);
      expect((await request(rt.app).patch(`/v1/admin/keys/${made.body.key.id}`).set(asAdmin).send({})).body.code).toBe('invalid_input');
      expect((await request(rt.app).patch('/v1/admin/keys/file:ops').set(asAdmin).send({ plugins: ['*'] })).body.code).toBe('key_read_only');
      expect((await request(rt.app).get('/v1/admin/keys/key_nope').set(asAdmin)).body.code).toBe('key_not_found');
      expect((await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'ops' })).body.code).toBe('key_name_taken');
      expect((await request(rt.app).post('/v1/admin/keys').set(fresh).send({ name: 'x' })).status).toBe(201);
    } finally {
      await rt.dispose();
    }
  }, 60_000);

  it('splits each day of the usage report by plugin (groupBy=day&splitBy=plugin), in JSON and CSV; splitBy equal to groupBy is a 400', async () => {
    const rt = await start(new FakeEngine({ output: goodOutput }).script({ output: goodOutput }, { output: goodOutput }, { output: { documents: [], summary: 'Nothing to document.' } }));
    try {
      const day = (d: Date) => d.toISOString().slice(0, 10);
      const today = day(now);
      now = new Date(now.getTime() - 2 * 86_400_000);
      const earlier = day(now);
      await request(rt.app).post('/v1/plugins/code-review/review').set(asAdmin).send(review).expect(200);
      now = new Date(now.getTime() + 2 * 86_400_000);
      await request(rt.app).post('/v1/plugins/code-review/review').set(asAdmin).send(review).expect(200);
      await request(rt.app).post('/v1/plugins/doc-generator/generate').set(asAdmin).send({ ...review, style: 'tsdoc' }).expect(200);
      const split = () => request(rt.app).get('/v1/admin/usage?groupBy=day&splitBy=plugin').set(asAdmin).expect(200);
      expect(await waitUntil(async () => (await split()).body.total.calls === 3, 5_000)).toBe(true);
      const body = (await split()).body;
      expect(body.splitBy).toBe('plugin');
      expect(body.groups.map((g: { group: string; split: string; calls: number }) => [g.group, g.split, g.calls])).toEqual([[earlier, 'code-review', 1], [today, 'code-review', 1], [today, 'doc-generator', 1]]);
      const byKey = (await request(rt.app).get('/v1/admin/usage?groupBy=day&splitBy=key').set(asAdmin).expect(200)).body;
      expect(byKey.groups.map((g: { split: string; keyName: string }) => [g.split, g.keyName])).toEqual([['file:ops', 'ops'], ['file:ops', 'ops']]);
      const csv = await request(rt.app).get('/v1/admin/usage?groupBy=day&splitBy=plugin&format=csv').set(asAdmin).expect(200);
      expect(csv.headers['content-disposition']).toContain('usage-day-plugin.csv');
      expect(csv.text.split('\r\n')[0]).toBe('group,split,calls,answered,inputTokens,outputTokens,cacheReadInputTokens,cacheCreationInputTokens,costUsd');
      const same = await request(rt.app).get('/v1/admin/usage?groupBy=day&splitBy=day').set(asAdmin).expect(400);
      expect(same.body.errors).toEqual([{ field: 'splitBy', message: 'splitBy must differ from groupBy (leave it out for one grouping)' }]);
    } finally {
      await rt.dispose();
    }
  }, 30_000);

  it("records a background job's call with its job id, transport and engine in the line the ledger takes", async () => {
    const rt = await start();
    try {
      const submitted = await request(rt.app).post('/v1/plugins/code-review/review').set({ ...asAdmin, prefer: 'respond-async' }).send(review).expect(202);
      const line = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invocation' && l.jobId === submitted.body.id);
      expect(await waitUntil(() => line() !== undefined, 5_000)).toBe(true);
      expect(line()).toMatchObject({ transport: 'job', engine: 'agent', keyId: 'file:ops', outcome: 'success' });
      expect(await waitUntil(async () => (await request(rt.app).get('/v1/usage?groupBy=operation').set(asAdmin)).body.total?.calls === 1, 5_000)).toBe(true);
    } finally {
      await rt.dispose();
    }
  }, 30_000);

  it('refuses a job queued before its key was revoked when it comes to run (401 key_revoked), as its request would be now', async () => {
    const engine = new FakeEngine({ output: goodOutput }).script({ waitForAbort: true });
    const rt = await start(engine, { jobs: { concurrency: 1 } });
    try {
      const made = await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'queued' }).expect(201);
      const key = { authorization: `Bearer ${made.body.secret}` };
      // The admin's job holds the only job slot until it is cancelled.
      const blocking = await request(rt.app).post('/v1/plugins/code-review/review').set({ ...asAdmin, prefer: 'respond-async' }).send(review).expect(202);
      expect(await waitUntil(async () => (await request(rt.app).get(`/v1/jobs/${blocking.body.id}`).set(asAdmin)).body.state === 'running', 5_000)).toBe(true);
      const queued = await request(rt.app).post('/v1/plugins/code-review/review').set({ ...key, prefer: 'respond-async' }).send(review).expect(202);
      await request(rt.app).delete(`/v1/admin/keys/${made.body.key.id}`).set(asAdmin).expect(200);
      await request(rt.app).delete(`/v1/jobs/${blocking.body.id}`).set(asAdmin).expect(200);
      const line = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invocation' && l.jobId === queued.body.id);
      expect(await waitUntil(() => line() !== undefined, 5_000)).toBe(true);
      expect(line()).toMatchObject({ key: 'queued', transport: 'job', outcome: 'key_revoked' });
      expect(engine.requests).toHaveLength(1);
    } finally {
      await rt.dispose();
    }
  }, 30_000);

  it('applies a change to a key, and its revocation, to the next message of a WebSocket opened before', async () => {
    const engine = new FakeEngine({ output: goodOutput });
    const rt = await start(engine);
    const server = await rt.listen(0, '127.0.0.1');
    try {
      const made = await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'socket' }).expect(201);
      const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ws`, { headers: { authorization: `Bearer ${made.body.secret}` } });
      const received: { type: string; id: string | null; problem?: { code: string } }[] = [];
      ws.on('message', (raw) => received.push(JSON.parse(String(raw)) as (typeof received)[number]));
      const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const invoke = (id: string) => ws.send(JSON.stringify({ type: 'invoke', id, plugin: 'code-review', operation: 'review', input: review }));
      invoke('before');
      expect(await waitUntil(() => received.some((m) => m.id === 'before' && m.type === 'result'), 5_000)).toBe(true);
      // A call that runs until it is ended, started before the key changes.
      engine.script({ waitForAbort: true });
      invoke('running');
      expect(await waitUntil(() => engine.requests.length === 2, 5_000)).toBe(true);
      // Narrowed to another plugin: the next call on the same socket is refused as a request would be.
      await request(rt.app).patch(`/v1/admin/keys/${made.body.key.id}`).set(asAdmin).send({ plugins: ['doc-generator'] }).expect(200);
      invoke('narrowed');
      expect(await waitUntil(() => received.some((m) => m.id === 'narrowed' && m.type === 'error'), 5_000)).toBe(true);
      expect(received.find((m) => m.id === 'narrowed')?.problem?.code).toBe('forbidden');
      // Revoked: the next message is answered key_revoked and the socket is closed (1008, policy violation).
      await request(rt.app).delete(`/v1/admin/keys/${made.body.key.id}`).set(asAdmin).expect(200);
      invoke('revoked');
      expect(await closed).toBe(1008);
      expect(received.at(-1)).toMatchObject({ type: 'error', id: null, problem: { code: 'key_revoked' } });
      expect(received.some((m) => m.id === 'revoked')).toBe(false);
      // The running call ended with the socket (its audit line is written when it is over).
      const ended = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invocation' && l.key === 'socket' && l.outcome !== 'success' && l.outcome !== 'forbidden');
      expect(await waitUntil(() => ended() !== undefined, 5_000)).toBe(true);
      expect(ended()).toMatchObject({ transport: 'ws', plugin: 'code-review' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rt.dispose();
    }
  }, 30_000);

  it('answers the key and usage routes with 503 database_unavailable when the platform runs without a database', async () => {
    const rt = await unitRuntime(new FakeEngine({ output: goodOutput }), { config: { auth: { keys: [{ name: 'ops', sha256: hashKey(admin), roles: ['admin'] }] } } });
    try {
      expect((await request(rt.app).post('/v1/admin/keys').set(asAdmin).send({ name: 'x' })).body.code).toBe('database_unavailable');
      expect((await request(rt.app).get('/v1/admin/usage').set(asAdmin)).body.code).toBe('database_unavailable');
      expect((await request(rt.app).get('/v1/admin/keys').set(asAdmin).expect(200)).body.keys.map((k: { id: string }) => k.id)).toEqual(['file:ops']);
    } finally {
      await rt.dispose();
    }
  });
});
