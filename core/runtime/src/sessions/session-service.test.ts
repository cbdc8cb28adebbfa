import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { FakeEngine, LogCapture, unitRuntime, waitUntil } from '@ccp/testing';
import request from 'supertest';
import type { Runtime } from '../composition-root';
import { ClaudeError, type ClaudeEvent, type ClaudeRequest } from '../engine/types';

// Sessions through the real runtime around a fake engine: create (with and without a first
// input), the per-caller limit, delete while a turn runs, and what a failed first turn leaves.

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };

/** A fake engine that says when a call has reached it. */
class WatchedEngine extends FakeEngine {
  private reached: (() => void)[] = [];
  /** Resolves when the next call reaches the engine. */
  nextCall(): Promise<void> {
    return new Promise((resolve) => this.reached.push(resolve));
  }
  override async *run(r: ClaudeRequest): AsyncGenerator<ClaudeEvent> {
    this.reached.shift()?.();
    yield* super.run(r);
  }
}

describe('SessionService', () => {
  let rt: Runtime;
  let engine: WatchedEngine;
  let log: LogCapture;
  const start = async (sessions: Record<string, unknown> = {}) => {
    engine = new WatchedEngine({ output });
    log = new LogCapture();
    rt = await unitRuntime(engine, { config: { auth: { enabled: false }, sessions, logging: { level: 'info' } }, builtins: [codeReviewPlugin], logDestination: log });
  };
  afterEach(() => rt.dispose());

  const create = (body?: object) => request(rt.app).post('/v1/plugins/code-review/sessions').send(body);

  it('starts a session without a turn when the body has no input', async () => {
    await start();
    const res = await create({}).expect(201);
    expect(res.headers.location).toBe(`/v1/sessions/${res.body.sessionId}`);
    expect(res.body).toEqual({ sessionId: expect.any(String) });
    expect(engine.requests).toHaveLength(0);
    expect((await request(rt.app).get(`/v1/sessions/${res.body.sessionId}`).expect(200)).body).toMatchObject({ turns: 0, plugin: 'code-review' });
  });

  it('answers the first input as the first turn of the new session', async () => {
    await start();
    const res = await create({ input: review }).expect(201);
    expect(res.body).toMatchObject({ sessionId: expect.any(String), result: { summary: 's' }, usage: { inputTokens: 100 } });
    expect(engine.requests[0]?.session).toEqual(expect.objectContaining({ id: res.body.sessionId, resume: false }));
    expect((await request(rt.app).get(`/v1/sessions/${res.body.sessionId}`).expect(200)).body).toMatchObject({ turns: 1, usage: { inputTokens: 100, costUsd: 0.001 } });
  });

  it('keeps a log of the answered turns, readable by the owner, without the failed ones', async () => {
    await start();
    const { sessionId } = (await create({ input: review }).expect(201)).body as { sessionId: string };
    const say = (text: string) => request(rt.app).post(`/v1/sessions/${sessionId}/messages`).send({ text });
    await say('why?').expect(200);
    engine.script({ error: new ClaudeError('api_error', 'upstream failed') });
    await say('and this one fails').expect(502);
    // An answer too large to keep is left out of its entry, and says so.
    const big = { summary: 'x'.repeat(20_000), findings: [], filesReviewed: ['a.ts'] };
    engine.script({ output: big });
    await say('a long answer').expect(200);
    const { body } = await request(rt.app).get(`/v1/sessions/${sessionId}/turns`).expect(200);
    expect(body.sessionId).toBe(sessionId);
    expect(body.turns.map((t: { turn: number; operation: string; input: unknown; omitted: string[] }) => [t.turn, t.operation, t.input, t.omitted])).toEqual([
      [1, 'review', review, []],
      [2, 'message', { text: 'why?' }, []],
      [3, 'message', { text: 'a long answer' }, ['result']],
    ]);
    expect(body.turns[0]).toMatchObject({ result: output, usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.001 }, at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(body.turns[2].result).toBeNull();
    // The session counts the same turns its log holds.
    expect((await request(rt.app).get(`/v1/sessions/${sessionId}`).expect(200)).body.turns).toBe(3);
    // Gone with the session.
    await request(rt.app).delete(`/v1/sessions/${sessionId}`).expect(204);
    expect((await request(rt.app).get(`/v1/sessions/${sessionId}/turns`).expect(404)).body.code).toBe('session_not_found');
  });

  it('lets a session at its turn limit be read, with its turns, but not continued', async () => {
    await start({ maxTurns: 2 });
    const { sessionId } = (await create({ input: review }).expect(201)).body as { sessionId: string };
    const say = (text: string) => request(rt.app).post(`/v1/sessions/${sessionId}/messages`).send({ text });
    await say('the last one').expect(200);
    // Read as often as the caller likes: the limit ends the conversation, not the record.
    for (let i = 0; i < 2; i++) {
      expect((await request(rt.app).get(`/v1/sessions/${sessionId}`).expect(200)).body).toMatchObject({ turns: 2, maxTurns: 2 });
      expect((await request(rt.app).get(`/v1/sessions/${sessionId}/turns`).expect(200)).body.turns).toHaveLength(2);
    }
    expect((await say('one too many').expect(404)).body.code).toBe('session_not_found');
    expect((await request(rt.app).get(`/v1/sessions/${sessionId}/turns`).expect(404)).body.code).toBe('session_not_found');
  });

  it('refuses a bad first input with 400 and keeps no session', async () => {
    await start();
    expect((await create({ input: { files: 'nope' } }).expect(400)).body.code).toBe('invalid_input');
    expect((await request(rt.app).get('/v1/sessions').expect(200)).body.sessions).toEqual([]);
  });

  it('refuses more open sessions than sessions.maxPerCaller with 429 too_many_sessions', async () => {
    await start({ maxPerCaller: 1 });
    await create({}).expect(201);
    expect((await create({}).expect(429)).body.code).toBe('too_many_sessions');
  });

  it('audits a first input refused before its turn runs, once, with its outcome', async () => {
    await start({ maxPerCaller: 1 });
    await create({}).expect(201);
    await create({}).expect(429); // not a call: no audit line
    await create({ input: review }).expect(429); // too many sessions
    await create({ operation: 'review', input: { files: 'nope' } }).expect(400);
    expect(log.audit.map((l) => [l.plugin, l.operation, l.outcome, l.costUsd])).toEqual([
      ['code-review', '', 'too_many_sessions', 0],
      ['code-review', 'review', 'invalid_input', 0],
    ]);
  });

  it('deletes the session of a first turn that failed', async () => {
    await start();
    engine.script({ error: new ClaudeError('api_error', 'upstream failed') });
    expect((await create({ input: review }).expect(502)).body.code).toBe('upstream_error');
    expect((await request(rt.app).get('/v1/sessions').expect(200)).body.sessions).toEqual([]);
  });

  it('refuses to delete a session while a turn runs (409 session_busy), and deletes it after', async () => {
    await start();
    const { sessionId } = (await create({}).expect(201)).body as { sessionId: string };
    const server: Server = await rt.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      engine.script({ waitForAbort: true });
      const reached = engine.nextCall();
      const caller = new AbortController();
      const turn = fetch(`${base}/v1/sessions/${sessionId}/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }), signal: caller.signal }).catch(() => undefined);
      await Promise.race([reached, turn.then(() => Promise.reject(new Error('the turn ended before it reached the engine')))]);
      const busy = await fetch(`${base}/v1/sessions/${sessionId}`, { method: 'DELETE' });
      expect(busy.status).toBe(409);
      expect(((await busy.json()) as { code: string }).code).toBe('session_busy');
      caller.abort();
      await turn;
      // The turn is over (and its lock released) once its audit line is written.
      expect(await waitUntil(() => log.audit.some((l) => l.sessionId === sessionId && l.operation === 'message'), 5_000)).toBe(true);
      expect((await fetch(`${base}/v1/sessions/${sessionId}`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${base}/v1/sessions/${sessionId}`)).status).toBe(404);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
