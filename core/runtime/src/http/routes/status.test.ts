import { FakeEngine, unitRuntime } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../../composition-root';
import { hashKey } from '../../auth/api-keys';
import { histogramQuantile, statusRoutes } from './status';

const adminKey = 'ccp_status_admin_key_0123456789abcdef';
const userKey = 'ccp_status_user_key_0123456789abcdef';
const review = { files: [{ path: 'src/a.ts', content: 'export const a = 1;\n' }] };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('histogramQuantile', () => {
  it('interpolates within the bucket the rank falls in, as PromQL does', () => {
    const buckets = [{ le: 0.5, count: 0 }, { le: 1, count: 2 }, { le: 2, count: 4 }, { le: Infinity, count: 4 }];
    expect(histogramQuantile(0.5, buckets)).toBe(1);
    expect(histogramQuantile(0.75, buckets)).toBe(1.5);
    expect(histogramQuantile(0.25, buckets)).toBe(0.75);
  });
  it('has no answer without samples, and the highest finite bound for the +Inf bucket', () => {
    expect(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])).toBeNull();
    expect(histogramQuantile(0.95, [{ le: 1, count: 1 }, { le: Infinity, count: 5 }])).toBe(1);
  });
});

describe('GET /v1/status, GET /v1/me and GET /v1/admin/audit', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await unitRuntime(new FakeEngine({ output: { summary: 'Fine.', findings: [], filesReviewed: ['src/a.ts'] } }), {
      config: {
        auth: { enabled: true, keys: [{ name: 'ops', sha256: hashKey(adminKey), roles: ['user', 'admin'] }, { name: 'ci', sha256: hashKey(userKey), plugins: ['code-review'] }] },
        cache: { enabled: false },
      },
    });
    await request(runtime.app).post('/v1/plugins/code-review/review').set(bearer(userKey)).send(review).expect(200);
    await request(runtime.app).post('/v1/plugins/doc-generator/generate').set(bearer(adminKey)).send({ files: review.files, style: 'tsdoc' });
  });
  afterAll(() => runtime.dispose());

  it('reports breaker, admission, pool and calls per plugin, only the plugins the key may use', async () => {
    const admin = await request(runtime.app).get('/v1/status').set(bearer(adminKey)).expect(200);
    expect(admin.body).toMatchObject({ instanceId: expect.stringMatching(/:\d+:[0-9a-f]{4}$/), breaker: { state: 'closed', retryAfterSeconds: 0 }, admission: { running: 0, queued: 0 }, pool: { warming: 0, spare: 0, idle: 0, busy: 0 } });
    expect(admin.body.admission.limits.inFlight).toBeGreaterThan(0);
    // Without Redis: this instance alone, as it is now.
    expect(admin.body.instancesSource).toBe('local');
    expect(admin.body.instances).toEqual([{ instanceId: admin.body.instanceId, version: admin.body.version, startedAt: expect.any(String), draining: false, breaker: admin.body.breaker, admission: admin.body.admission, pool: admin.body.pool, publishedAt: expect.any(String), serving: true, ageSeconds: 0 }]);
    expect(admin.body.plugins.map((p: { plugin: string }) => p.plugin)).toEqual(['code-review', 'doc-generator']);
    expect(admin.body.plugins[0]).toEqual({ plugin: 'code-review', requests: 1, errors: 0 });
    const user = await request(runtime.app).get('/v1/status').set(bearer(userKey)).expect(200);
    expect(user.body.plugins.map((p: { plugin: string }) => p.plugin)).toEqual(['code-review']);
    await request(runtime.app).get('/v1/status').expect(401);
  });

  it('names the calling key, its roles and plugins, never its secret', async () => {
    const me = await request(runtime.app).get('/v1/me').set(bearer(userKey)).expect(200);
    expect(me.body).toEqual({ name: 'ci', roles: ['user'], plugins: ['code-review'] });
    expect(JSON.stringify(me.body)).not.toContain(userKey);
  });

  it('gives admins the audit tail, newest first and filtered; 403 to other keys', async () => {
    const all = await request(runtime.app).get('/v1/admin/audit').set(bearer(adminKey)).expect(200);
    expect(all.body.entries.map((e: { key: string; plugin: string }) => [e.key, e.plugin])).toEqual([['ops', 'doc-generator'], ['ci', 'code-review']]);
    expect(all.body.entries[0].at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const ci = await request(runtime.app).get('/v1/admin/audit?key=ci&outcome=success').set(bearer(adminKey)).expect(200);
    expect(ci.body.entries).toHaveLength(1);
    expect((await request(runtime.app).get('/v1/admin/audit?limit=1').set(bearer(adminKey)).expect(200)).body.entries).toHaveLength(1);
    await request(runtime.app).get('/v1/admin/audit?limit=0').set(bearer(adminKey)).expect(400);
    const refused = await request(runtime.app).get('/v1/admin/audit').set(bearer(userKey)).expect(403);
    expect(refused.body.code).toBe('forbidden');
  });
});
