import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeEngine, LogCapture, unitRuntime } from '@ccp/testing';
import request from 'supertest';

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };

async function runtime(extra: Record<string, unknown>) {
  return unitRuntime(new FakeEngine({ output }), { config: { auth: { enabled: false }, ...extra } });
}

describe('hardening', () => {
  it('counts refused calls against the rate limit, so bad bodies cannot be sent without end', async () => {
    const rt = await runtime({ rateLimits: { perKey: 3, windowMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i++) expect((await request(rt.app).post('/v1/plugins/code-review/review').send({ files: 'nope' })).status).toBe(400);
      const bad = await request(rt.app).post('/v1/plugins/code-review/review').send({ files: 'nope' });
      expect([bad.status, bad.body.code]).toEqual([429, 'rate_limited']);
      const good = await request(rt.app).post('/v1/plugins/code-review/review').send(review);
      expect([good.status, good.body.code]).toEqual([429, 'rate_limited']);
    } finally {
      await rt.dispose();
    }
  });

  it('answers a path that does not percent-decode with 404 route_not_found, on every route family', async () => {
    const rt = await runtime({});
    try {
      for (const path of ['/v1/plugins/%E0%A4%A', '/v1/plugins/%E0%A4%A/review', '/v1/sessions/%E0%A4%A', '/v1/jobs/%E0%A4%A', '/%E0%A4%A']) {
        const res = await request(rt.app).get(path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, 'route_not_found']);
      }
      const ok = await request(rt.app).post('/v1/plugins/code-review/review').send(review);
      expect(ok.status).toBe(200);
    } finally {
      await rt.dispose();
    }
  });

  it('sends no CORS headers unless origins are configured, then only for those', async () => {
    const closed = await runtime({});
    const open = await runtime({ cors: { origins: ['https://tools.example.com'] } });
    try {
      const none = await request(closed.app).options('/v1/plugins').set('origin', 'https://evil.example').set('access-control-request-method', 'POST');
      expect(none.headers['access-control-allow-origin']).toBeUndefined();
      const allowed = await request(open.app).get('/v1/plugins').set('origin', 'https://tools.example.com');
      expect(allowed.headers['access-control-allow-origin']).toBe('https://tools.example.com');
      const other = await request(open.app).get('/v1/plugins').set('origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await closed.dispose();
      await open.dispose();
    }
  });

  it('audits a call refused before its call was handed on (body unreadable, not JSON, too large, empty), once each', async () => {
    const log = new LogCapture();
    const rt = await unitRuntime(new FakeEngine({ output }), { config: { auth: { enabled: false }, logging: { level: 'info' }, server: { bodyLimitBytes: 1024 } }, logDestination: log });
    try {
      const post = () => request(rt.app).post('/v1/plugins/code-review/review');
      expect((await post().set('content-type', 'application/json').send('{"files": [')).body.code).toBe('invalid_json');
      expect((await post().set('content-type', 'text/plain').send('hello')).body.code).toBe('unsupported_media_type');
      expect((await post().send({ files: [{ path: 'a.ts', content: 'x'.repeat(2048) }] })).body.code).toBe('body_too_large');
      expect((await post()).body.code).toBe('empty_body');
      expect((await request(rt.app).post('/v1/jobs').set('content-type', 'application/json').send('[')).body.code).toBe('invalid_json');
      await post().send(review).expect(200);
      expect(log.audit.map((l) => [l.plugin, l.operation, l.transport, l.outcome])).toEqual([
        ['code-review', 'review', 'http', 'invalid_json'],
        ['code-review', 'review', 'http', 'unsupported_media_type'],
        ['code-review', 'review', 'http', 'body_too_large'],
        ['code-review', 'review', 'http', 'empty_body'],
        ['', '', 'job', 'invalid_json'],
        ['code-review', 'review', 'http', 'success'],
      ]);
    } finally {
      await rt.dispose();
    }
  });

  it('answers a caller without a key 401 before reading its body', async () => {
    const rt = await unitRuntime(new FakeEngine({ output }), { config: { auth: { keys: [] }, server: { bodyLimitBytes: 1024 } } });
    try {
      const broken = await request(rt.app).post('/v1/plugins/code-review/review').set('content-type', 'application/json').send('{"files": [');
      expect([broken.status, broken.body.code]).toEqual([401, 'unauthenticated']);
      const large = await request(rt.app).post('/v1/plugins/code-review/review').send({ files: [{ path: 'a.ts', content: 'x'.repeat(4096) }] });
      expect([large.status, large.body.code]).toEqual([401, 'unauthenticated']);
    } finally {
      await rt.dispose();
    }
  });

  it('writes one audit line per call, refused ones too, to the configured file, without the key', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccp-audit-')), 'audit.log');
    const rt = await runtime({ audit: { file }, logging: { level: 'info' } });
    try {
      await request(rt.app).post('/v1/plugins/code-review/review').send(review).expect(200);
      await request(rt.app).post('/v1/plugins/code-review/review').send({ files: [] }).expect(400);
    } finally {
      await rt.dispose(); // closes the audit file once what is queued is written
    }
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ audit: true, key: 'anonymous', plugin: 'code-review', operation: 'review', transport: 'http', outcome: 'success', inputTokens: 100, outputTokens: 20, costUsd: 0.001, spendBasis: 'reported' }),
      expect.objectContaining({ audit: true, key: 'anonymous', plugin: 'code-review', operation: 'review', transport: 'http', outcome: 'invalid_input', inputTokens: 0, costUsd: 0 }),
    ]);
  });
});
