import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { errorHandler } from './errors';
import { requireJson } from './require-json';
import { requestId } from './request-id';

/** A tiny app: the real body parser and problem renderer around two routes. */
function app() {
  const a = express();
  a.use(requestId);
  a.use(express.json());
  a.post('/required', requireJson(), (req, res) => void res.json({ got: req.body }));
  a.post('/optional', requireJson({ optional: true }), (req, res) => void res.json({ got: req.body ?? null }));
  a.use(errorHandler(pino({ level: 'silent' }), 1024));
  return a;
}

const problem = (res: request.Response) => ({ status: res.status, type: res.headers['content-type']?.split(';')[0], code: res.body.code, detail: res.body.detail as string });

describe('requireJson', () => {
  it('passes a JSON body', async () => {
    expect((await request(app()).post('/required').send({ a: 1 }).expect(200)).body).toEqual({ got: { a: 1 } });
  });

  it('answers a request without a body 400 empty_body, whatever Content-Type it names', async () => {
    for (const build of [
      () => request(app()).post('/required'),
      () => request(app()).post('/required').set('content-type', 'application/json'),
      () => request(app()).post('/required').set('content-type', 'application/json').set('content-length', '0'),
    ]) {
      expect(problem(await build())).toEqual({ status: 400, type: 'application/problem+json', code: 'empty_body', detail: expect.stringContaining('no body') });
    }
  });

  it('answers a body of another media type 415, naming what was sent', async () => {
    const res = await request(app()).post('/required').set('content-type', 'text/plain').send('hello');
    expect(problem(res)).toEqual({ status: 415, type: 'application/problem+json', code: 'unsupported_media_type', detail: expect.stringContaining('Content-Type: text/plain') });
  });

  it('with optional, lets a request without a body through but still refuses another media type', async () => {
    expect((await request(app()).post('/optional').expect(200)).body).toEqual({ got: null });
    expect((await request(app()).post('/optional').send({ a: 1 }).expect(200)).body).toEqual({ got: { a: 1 } });
    expect(problem(await request(app()).post('/optional').set('content-type', 'text/plain').send('x')).code).toBe('unsupported_media_type');
  });
});
