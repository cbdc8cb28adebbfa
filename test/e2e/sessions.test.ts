import WebSocket from 'ws';
import { postJson, readEventStream, startTestRuntime, testKey, type TestRuntime } from '@ccp/testing';

// Multi-turn sessions with the real CLI: the model sees earlier turns, sessions expire,
// belong to their creator, take one message at a time, and work over SSE and WebSocket.

const files = [{ path: 'src/a.ts', content: 'export const a = 1;\n' }];
const keys = { alice: testKey('alice'), bob: testKey('bob') };
type Who = keyof typeof keys;
const as = (caller: Who) => ({ headers: keys[caller].headers });

describe('sessions', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({
      config: { sessions: { ttlMs: 60_000, maxTurns: 3 }, auth: { enabled: true, keys: [keys.alice.entry, keys.bob.entry] } },
    });
  });
  afterAll(() => rt.close());
  beforeEach(() => rt.simulator.reset());

  async function start(caller: Who = 'alice'): Promise<string> {
    const res = await postJson(`${rt.url}/v1/plugins/code-review/sessions`, { input: { files } }, as(caller));
    expect(res.status).toBe(201);
    return ((await res.json()) as { sessionId: string }).sessionId;
  }
  const say = (id: string, text: string, caller: Who = 'alice', headers: Record<string, string> = {}) =>
    postJson(`${rt.url}/v1/sessions/${id}/messages`, { text }, { headers: { ...keys[caller].headers, ...headers } });

  it('continues a conversation: the second turn carries the first turn to the model', async () => {
    rt.simulator.enqueue({ blocks: [{ type: 'text', text: 'FIRST-ANSWER line 1 is fine.' }, { type: 'tool_use', name: 'StructuredOutput', input: { summary: 's', findings: [], filesReviewed: ['src/a.ts'] } }] });
    const id = await start();
    rt.simulator.enqueue({ blocks: [{ type: 'text', text: 'Because it is exported.' }] });
    const res = await say(id, 'SECOND-QUESTION why line 1?');
    const body = (await res.json()) as { result: { text: string }; sessionId: string; usage: { inputTokens: number } };
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ result: { text: 'Because it is exported.' }, sessionId: id });
    // The SDK reports a resumed session's running totals; the answer carries this turn alone.
    expect(body.usage.inputTokens).toBe(rt.simulator.messageRequests().at(-1)?.inputTokens);

    const second = JSON.stringify(rt.simulator.messageRequests().at(-1)?.messages);
    expect(second).toContain('Review these 1 file(s)');
    expect(second).toContain('FIRST-ANSWER line 1 is fine.');
    expect(second).toContain('SECOND-QUESTION why line 1?');

    const info = (await (await fetch(`${rt.url}/v1/sessions/${id}`, as('alice'))).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ sessionId: id, plugin: 'code-review', turns: 2, maxTurns: 3 });
  });

  it('streams a message as SSE', async () => {
    const id = await start();
    const events = await readEventStream(await say(id, 'and then?', 'alice', { accept: 'text/event-stream' }));
    expect(events[0]?.event).toBe('start');
    expect(events.at(-1)).toMatchObject({ event: 'result', data: { sessionId: id, result: { text: expect.any(String) } } });
  });

  it('belongs to its creator: anyone else gets 404', async () => {
    const id = await start('alice');
    expect((await fetch(`${rt.url}/v1/sessions/${id}`, as('bob'))).status).toBe(404);
    expect((await say(id, 'hi', 'bob')).status).toBe(404);
    expect((await fetch(`${rt.url}/v1/sessions/${id}`, { method: 'DELETE', ...as('bob') })).status).toBe(404);
    const bobs = (await (await fetch(`${rt.url}/v1/sessions`, as('bob'))).json()) as { sessions: unknown[] };
    expect(bobs.sessions).toEqual([]);
    const alices = (await (await fetch(`${rt.url}/v1/sessions`, as('alice'))).json()) as { sessions: { sessionId: string }[] };
    expect(alices.sessions.map((s) => s.sessionId)).toContain(id);
    expect((await fetch(`${rt.url}/v1/sessions/${id}`, { method: 'DELETE', ...as('alice') })).status).toBe(204);
    expect((await fetch(`${rt.url}/v1/sessions/${id}`, as('alice'))).status).toBe(404);
  });

  it('expires after its maximum turns with a clear 404', async () => {
    const id = await start();
    expect((await say(id, 'two')).status).toBe(200);
    expect((await say(id, 'three')).status).toBe(200);
    const res = await say(id, 'four');
    const problem = (await res.json()) as { code: string; detail: string };
    expect(res.status).toBe(404);
    expect(problem.code).toBe('session_not_found');
    expect(problem.detail).toContain('after 3 turns');
  });

  it('serialises concurrent messages: the second gets 409 while the first runs', async () => {
    const id = await start();
    rt.simulator.enqueue({ blocks: [{ type: 'text', text: 'slow answer with several words in it' }], chunkDelayMs: 300 });
    const first = say(id, 'first');
    await rt.simulator.waitForMessageRequests(2);
    const second = await say(id, 'second');
    expect(second.status).toBe(409);
    expect(((await second.json()) as { code: string }).code).toBe('session_busy');
    // Over SSE too, the refusal is a 409 problem, not a 200 stream carrying an error.
    const streamed = await say(id, 'second', 'alice', { accept: 'text/event-stream' });
    expect([streamed.status, streamed.headers.get('content-type')?.split(';')[0]]).toEqual([409, 'application/problem+json']);
    // Nor can the session be deleted under a running turn.
    expect((await fetch(`${rt.url}/v1/sessions/${id}`, { method: 'DELETE', ...as('alice') })).status).toBe(409);
    expect((await first).status).toBe(200);
    expect((await say(id, 'third')).status).toBe(200);
  });

  it('rejects a bad message body and an unknown session', async () => {
    const id = await start();
    expect((await say(id, '')).status).toBe(400);
    expect((await say('00000000-0000-4000-8000-000000000000', 'hi')).status).toBe(404);
  });

  it('multiplexes several calls on one WebSocket, each tagged with its id', async () => {
    const id = await start();
    rt.simulator.reset();
    rt.simulator.setFallback({ auto: true, chunkDelayMs: 60 });
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/v1/ws`, { headers: keys.alice.headers });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const got: { type: string; id: string; [k: string]: unknown }[] = [];
    const done = new Promise<void>((resolve) => {
      ws.on('message', (raw) => {
        got.push(JSON.parse(String(raw)));
        if (got.filter((m) => m.type === 'result' || m.type === 'error').length === 4) resolve();
      });
    });
    ws.send(JSON.stringify({ type: 'invoke', id: 'a', plugin: 'code-review', operation: 'review', input: { files } }));
    ws.send(JSON.stringify({ type: 'invoke', id: 'b', plugin: 'code-review', operation: 'review', input: { files: [] } }));
    ws.send(JSON.stringify({ type: 'message', id: 'c', sessionId: id, text: 'over the socket' }));
    ws.send(JSON.stringify({ type: 'invoke', id: 'a', plugin: 'code-review', operation: 'review', input: { files } }));
    await done;
    ws.close();
    rt.simulator.setFallback(undefined);

    const of = (callId: string) => got.filter((m) => m.id === callId).map((m) => m.type);
    // The reused id 'a' was refused while the first 'a' ran; the first still finished.
    expect(got.find((m) => m.id === 'a' && m.type === 'error')?.problem).toMatchObject({ code: 'invalid_input', errors: [{ field: 'id' }] });
    expect(of('a').filter((t) => t === 'start')).toHaveLength(1);
    expect(of('a').at(-1)).toBe('result');
    expect(of('b')).toEqual(['error']);
    expect(got.find((m) => m.id === 'b')?.problem).toMatchObject({ code: 'invalid_input' });
    expect(of('c').at(-1)).toBe('result');
    expect(got.find((m) => m.id === 'c' && m.type === 'result')).toMatchObject({ sessionId: id, result: { text: expect.any(String) } });
    // Both long calls were in flight at once: their events interleave.
    const order = got.filter((m) => m.id === 'a' || m.id === 'c').map((m) => m.id);
    const firstResult = got.findIndex((m) => (m.id === 'a' || m.id === 'c') && m.type === 'result');
    expect(new Set(order.slice(0, firstResult))).toEqual(new Set(['a', 'c']));
  });
});
