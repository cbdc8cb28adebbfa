import express from 'express';
import { mountRoutes } from '../api/mount';
import { Metrics } from '../../metrics/metrics';
import request from 'supertest';
import { Authenticator, hashKey } from '../../auth/api-keys';
import { parseConfig } from '../../config/load-config';
import { adminsOnly, healthRoutes, type HealthCheck } from './health';

const adminKey = 'ccp_health_admin_key_0123456789abcdef';
const userKey = 'ccp_health_user_key_0123456789abcdef';
const authenticator = (enabled: boolean) =>
  new Authenticator(
    parseConfig({
      auth: {
        enabled,
        keys: [
          { name: 'ops', sha256: hashKey(adminKey), roles: ['admin'] },
          { name: 'ci', sha256: hashKey(userKey) },
        ],
      },
    }).auth,
  );

function app(checks: Record<string, HealthCheck>, auth = authenticator(true)) {
  const a = express();
  mountRoutes(a, healthRoutes(checks, adminsOnly(auth), new Metrics({ defaultMetrics: false })));
  return a;
}

const components: Record<string, HealthCheck> = {
  credentials: () => ({ status: 'ok', kind: 'ANTHROPIC_API_KEY' }),
  plugins: () => ({ status: 'ok', count: 2, ids: ['a', 'b'] }),
  authentication: () => ({ status: 'ok', keys: 2 }),
};

describe('/health/ready', () => {
  it('shows component detail to a valid admin key only', async () => {
    const full = await request(app(components)).get('/health/ready').set('authorization', `Bearer ${adminKey}`).expect(200);
    expect(full.body).toEqual({ status: 'ready', components: { credentials: { status: 'ok', kind: 'ANTHROPIC_API_KEY' }, plugins: { status: 'ok', count: 2, ids: ['a', 'b'] }, authentication: { status: 'ok', keys: 2 } } });

    const statusesOnly = { status: 'ready', components: { credentials: { status: 'ok' }, plugins: { status: 'ok' }, authentication: { status: 'ok' } } };
    for (const authorization of [undefined, `Bearer ${userKey}`, 'Bearer ccp_not_a_key_at_all_0000000000', 'Basic eDp5']) {
      const req = request(app(components)).get('/health/ready');
      const res = await (authorization ? req.set('authorization', authorization) : req).expect(200);
      expect({ authorization, body: res.body }).toEqual({ authorization, body: statusesOnly });
    }
  });

  it('shows detail to everyone while authentication is off (every caller is admin then)', async () => {
    const res = await request(app(components, authenticator(false))).get('/health/ready').expect(200);
    expect(res.body.components.plugins).toEqual({ status: 'ok', count: 2, ids: ['a', 'b'] });
  });

  it('is 503 while a component is down and 200 while one is only degraded, whoever asks', async () => {
    const down = { ...components, circuitBreaker: () => ({ status: 'down' as const, state: 'open', detail: 'paused' }) };
    expect((await request(app(down)).get('/health/ready').expect(503)).body).toMatchObject({ status: 'not_ready', components: { circuitBreaker: { status: 'down' } } });
    expect((await request(app(down)).get('/health/ready').set('authorization', `Bearer ${adminKey}`).expect(503)).body.components.circuitBreaker).toEqual({ status: 'down', state: 'open', detail: 'paused' });
    const degraded = { ...components, audit: () => ({ status: 'degraded' as const, detail: 'ENOSPC' }) };
    expect((await request(app(degraded)).get('/health/ready').expect(200)).body).toEqual(expect.objectContaining({ status: 'degraded' }));
  });

  it('leaves /health/live alone', async () => {
    expect((await request(app(components)).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
  });
});
