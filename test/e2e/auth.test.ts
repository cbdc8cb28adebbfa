import { postJson, startTestRuntime, testKey, waitUntil, type TestRuntime } from '@ccp/testing';

// API keys, roles, per-key rate limits and concurrency through HTTP.

const user = testKey('ci-bot', { plugins: ['code-review'], maxConcurrent: 1, rateLimit: { limit: 25 } });
const limited = testKey('per-plugin');
const admin = testKey('ops', { roles: ['user', 'admin'] });
const review = { files: [{ path: 'a.ts', content: 'x' }] };

describe('who may call what', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { auth: { enabled: true, keys: [user.entry, admin.entry, limited.entry] }, rateLimits: { perKey: 1000, plugins: { 'migration-advisor': { limit: 2 } } } } });
  });
  afterAll(() => rt.close());

  it('refuses a missing or unknown key with 401 and WWW-Authenticate, before anything runs', async () => {
    const none = await postJson(`${rt.url}/v1/plugins/code-review/review`, review);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="claude-code-platform"');
    expect(((await none.json()) as { code: string }).code).toBe('unauthenticated');
    const wrong = await fetch(`${rt.url}/v1/plugins`, { headers: { authorization: 'Bearer ccp_not_a_key_at_all_000000000000000000000' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(rt.simulator.messageRequests()).toHaveLength(0);
  });

  it('forbids a plugin the key is not allowed and hides it from the list', async () => {
    const res = await postJson(`${rt.url}/v1/plugins/doc-generator/generate`, { files: review.files, style: 'tsdoc' }, { headers: user.headers });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { code: string }).code).toBe('forbidden');
    const list = (await (await fetch(`${rt.url}/v1/plugins`, { headers: user.headers })).json()) as { plugins: { id: string }[] };
    expect(list.plugins.map((p) => p.id)).toEqual(['code-review']);
  });

  it('keeps admin endpoints for admins', async () => {
    expect((await fetch(`${rt.url}/v1/admin/budgets`, { headers: user.headers })).status).toBe(403);
    const usage = (await (await fetch(`${rt.url}/v1/admin/budgets`, { headers: admin.headers })).json()) as { keys: { name: string }[] };
    expect(usage.keys.map((k) => k.name)).toEqual(['ci-bot', 'ops', 'per-plugin']);
    expect(JSON.stringify(usage)).not.toContain(user.key);
    const breaker = (await (await fetch(`${rt.url}/v1/admin/breaker`, { headers: admin.headers })).json()) as { state: string };
    expect(breaker.state).toBe('closed');
    expect((await fetch(`${rt.url}/v1/admin/breaker/reset`, { method: 'POST', headers: admin.headers })).status).toBe(200);
  });

  it('applies a plugin limit to every way in: HTTP, sessions and WebSocket', async () => {
    const input = { files: [{ path: 'a.js', content: 'x' }], from: 'express@4', to: 'express@5' };
    expect((await postJson(`${rt.url}/v1/plugins/migration-advisor/assess`, input, { headers: limited.headers })).status).toBe(200);
    expect((await postJson(`${rt.url}/v1/plugins/migration-advisor/sessions`, { input }, { headers: limited.headers })).status).toBe(201);
    const third = await postJson(`${rt.url}/v1/plugins/migration-advisor/sessions`, { input }, { headers: limited.headers });
    expect(third.status).toBe(429);
    expect(((await third.json()) as { code: string }).code).toBe('rate_limited');
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/ws`, { headers: limited.headers });
    await new Promise((r) => ws.once('open', r));
    const reply = new Promise<Record<string, unknown>>((resolve) => ws.once('message', (m) => resolve(JSON.parse(String(m)))));
    ws.send(JSON.stringify({ type: 'invoke', id: 'x', plugin: 'migration-advisor', operation: 'assess', input }));
    expect(await reply).toMatchObject({ type: 'error', id: 'x', problem: { code: 'rate_limited' } });
    ws.close();
  });

  it('refuses a WebSocket from a browser origin that is not allowed', async () => {
    const { default: WebSocket } = await import('ws');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/ws`, { headers: { ...admin.headers, origin: 'https://evil.example' } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(403);
  });

  it('caps queries in flight per key with 429 too_many_in_flight', async () => {
    rt.simulator.setFallback({ hang: true });
    const first = new AbortController();
    const pending = postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: user.headers, signal: first.signal }).catch(() => undefined);
    await rt.simulator.waitForMessageRequests(1);
    const second = await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: user.headers });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { code: string }).code).toBe('too_many_in_flight');
    first.abort();
    await pending;
    rt.simulator.setFallback(undefined);
    expect(await waitUntil(async () => (await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: user.headers })).status === 200, 10_000)).toBe(true);
  });

  it('rate-limits per key with IETF RateLimit headers and Retry-After; a forged X-Forwarded-For changes nothing', async () => {
    let last: Response | undefined;
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      last = await fetch(`${rt.url}/v1/plugins`, { headers: { ...user.headers, 'x-forwarded-for': `10.0.${i}.1` } });
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.headers.get('ratelimit-policy')).toContain('q=25');
    expect(((await last?.json()) as { code: string }).code).toBe('rate_limited');
    const other = await fetch(`${rt.url}/v1/plugins`, { headers: admin.headers });
    expect(other.status).toBe(200);
    expect(other.headers.get('ratelimit')).toMatch(/r=\d+/);
  });
});

describe('authentication switched off', () => {
  it('buckets by client address, which a forged X-Forwarded-For cannot change (trust proxy off)', async () => {
    const rt = await startTestRuntime({ config: { auth: { enabled: false }, rateLimits: { perKey: 5 }, server: { trustProxy: false } } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await fetch(`${rt.url}/v1/plugins`, { headers: { 'x-forwarded-for': `203.0.113.${i}` } })).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    } finally {
      await rt.close();
    }
  });

  it('is said loudly on /health/ready', async () => {
    const rt = await startTestRuntime({ config: { auth: { enabled: false } } });
    try {
      const ready = (await (await fetch(`${rt.url}/health/ready`)).json()) as { components: { authentication: { status: string; detail: string } } };
      expect(ready.components.authentication).toMatchObject({ status: 'degraded', detail: expect.stringContaining('AUTHENTICATION IS OFF') });
    } finally {
      await rt.close();
    }
  });
});
