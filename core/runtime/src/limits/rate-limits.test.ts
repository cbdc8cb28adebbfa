import express, { type Express } from 'express';
import { Redis } from 'ioredis';
import request from 'supertest';
import { freePort } from '@ccp/testing';
import { ANONYMOUS, type Caller } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import { errorHandler } from '../http/errors';
import { createLogger } from '../logging/logger';
import { PluginRateLimit, RequestRateLimit } from './rate-limits';

const key = (name: string): Caller => ({ name, roles: ['user'], plugins: ['*'] });
const settings = (rateLimits: Record<string, unknown>) => parseConfig({ rateLimits: { windowMs: 60_000, ...rateLimits } }).rateLimits;

/** A /v1 route behind the limit's middleware; the caller is named by the `x-caller` header. */
function appWith(limit: RequestRateLimit): Express {
  const app = express();
  app.set('trust proxy', false);
  app.use((req, _res, next) => {
    const name = req.get('x-caller');
    req.caller = name ? key(name) : ANONYMOUS;
    next();
  });
  app.use(limit.middleware((req) => req.path === '/call'));
  app.get('/plugins', (_req, res) => void res.json({ ok: true }));
  app.get('/call', (_req, res) => void res.json({ ok: true }));
  app.use(errorHandler(createLogger('silent'), 1_000));
  return app;
}

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (err: { code?: string }) => err.code ?? 'failed');

describe('RequestRateLimit', () => {
  it('of a burst of concurrent calls over the limit, lets exactly the limit through', async () => {
    const limit = new RequestRateLimit(settings({ perKey: 20 }), undefined);
    const outcomes = await Promise.all(Array.from({ length: 25 }, () => outcome(limit.take({ caller: key('alice'), plugin: 'p' }))));
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(20);
    expect(outcomes.filter((o) => o === 'rate_limited')).toHaveLength(5);
  });

  it('counts calls (take) and other /v1 requests (middleware) in one bucket per key', async () => {
    const limit = new RequestRateLimit(settings({ perKey: 3 }), undefined);
    const app = appWith(limit);
    expect([await outcome(limit.take({ caller: key('alice'), plugin: 'p' })), await outcome(limit.take({ caller: key('alice'), plugin: 'p' }))]).toEqual(['ok', 'ok']);
    await request(app).get('/plugins').set('x-caller', 'alice').expect(200);
    const refused = await request(app).get('/plugins').set('x-caller', 'alice').expect(429);
    expect(refused.body.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(await outcome(limit.take({ caller: key('alice'), plugin: 'p' }))).toBe('rate_limited');
    await request(app).get('/plugins').set('x-caller', 'bob').expect(200);
  });

  it("does not count the call routes in the middleware: the call's own take does", async () => {
    const limit = new RequestRateLimit(settings({ perKey: 1 }), undefined);
    const app = appWith(limit);
    for (let i = 0; i < 3; i++) await request(app).get('/call').set('x-caller', 'alice').expect(200);
    await request(app).get('/plugins').set('x-caller', 'alice').expect(200);
  });

  it("uses a key's own limit, and the client address as the bucket while authentication is off", async () => {
    const limit = new RequestRateLimit(settings({ perKey: 1 }), undefined);
    const generous = { ...key('ci'), rateLimit: { limit: 2 } };
    expect([await outcome(limit.take({ caller: generous, plugin: 'p' })), await outcome(limit.take({ caller: generous, plugin: 'p' })), await outcome(limit.take({ caller: generous, plugin: 'p' }))]).toEqual(['ok', 'ok', 'rate_limited']);
    const app = appWith(limit);
    await request(app).get('/plugins').expect(200); // the loopback client
    expect(await outcome(limit.take({ caller: ANONYMOUS, clientIp: '::ffff:127.0.0.1', plugin: 'p' }))).toBe('rate_limited');
    expect(await outcome(limit.take({ caller: ANONYMOUS, clientIp: '10.0.0.9', plugin: 'p' }))).toBe('ok');
  });
});

describe('PluginRateLimit', () => {
  it('limits the plugins that have a limit, per key, and ignores the others', async () => {
    const limit = new PluginRateLimit(settings({ plugins: { slow: { limit: 1, windowMs: 30_000 } } }), undefined);
    const take = (plugin: string, caller = key('alice')) => outcome(limit.take({ caller, plugin }));
    expect([await take('slow'), await take('slow'), await take('slow', key('bob'))]).toEqual(['ok', 'rate_limited', 'ok']);
    for (let i = 0; i < 5; i++) expect(await take('fast')).toBe('ok');
    await expect(limit.take({ caller: key('alice'), plugin: 'slow' })).rejects.toMatchObject({ detail: expect.stringContaining('(1 per 30 s)') });
  });
});

describe('a rate-limit store that fails', () => {
  let redis: Redis;
  beforeEach(async () => {
    // Nobody listens there, and commands are not queued: every command fails at once.
    redis = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
  });
  afterEach(() => redis.disconnect());

  it('refuses with 503 shared_state_unavailable through take and through the middleware', async () => {
    const limit = new RequestRateLimit(settings({}), redis);
    await expect(limit.take({ caller: key('alice'), plugin: 'p' })).rejects.toMatchObject({ status: 503, code: 'shared_state_unavailable' });
    const res = await request(appWith(limit)).get('/plugins').set('x-caller', 'alice').expect(503);
    expect(res.body.code).toBe('shared_state_unavailable');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('refuses a plugin with a limit with 503, and lets one without a limit through', async () => {
    const limit = new PluginRateLimit(settings({ plugins: { slow: { limit: 1 } } }), redis);
    await expect(limit.take({ caller: key('alice'), plugin: 'slow' })).rejects.toMatchObject({ status: 503, code: 'shared_state_unavailable' });
    await expect(limit.take({ caller: key('alice'), plugin: 'fast' })).resolves.toBeDefined();
  });
});
