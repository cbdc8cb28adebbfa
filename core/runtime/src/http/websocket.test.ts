import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { FakeEngine, LogCapture, testKey, unitRuntime, waitUntil } from '@ccp/testing';
import WebSocket from 'ws';
import type { Runtime } from '../composition-root';

// The WebSocket endpoint through the real runtime around a fake engine, on a loopback port.

const review = { files: [{ path: 'a.ts', content: 'x' }] };
const output = { summary: 's', findings: [], filesReviewed: ['a.ts'] };
const alice = testKey('alice');
const bob = testKey('bob', { rateLimit: { limit: 2 } });
const ORIGIN = 'https://app.example';

type Received = { type: string; id: string | null; problem?: { code: string }; [k: string]: unknown };

/** A client socket that keeps what it receives and waits for what it expects. */
class Client {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      this.received.push(JSON.parse(String(raw)) as Received);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }
  /** The first message received (so far or later) that matches. */
  async until(match: (m: Received) => boolean): Promise<Received> {
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

describe('WebSocket endpoint', () => {
  let rt: Runtime;
  let server: Server;
  let engine: FakeEngine;
  let log: LogCapture;
  let url: string;
  const sockets: WebSocket[] = [];
  beforeEach(async () => {
    engine = new FakeEngine({ output });
    log = new LogCapture();
    rt = await unitRuntime(engine, {
      config: { auth: { enabled: true, keys: [alice.entry, bob.entry] }, cors: { origins: [ORIGIN] }, logging: { level: 'info' } }, builtins: [codeReviewPlugin], logDestination: log,
    });
    server = await rt.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ws`;
  });
  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rt.dispose();
  });

  async function connect(headers: Record<string, string> = alice.headers): Promise<Client> {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Client(ws);
  }

  /** The status and headers of an upgrade the server refused. */
  function refusal(headers: Record<string, string>): Promise<{ status: number | undefined; challenge: string | undefined; retryAfter?: string }> {
    const ws = new WebSocket(url, { headers });
    sockets.push(ws);
    ws.on('error', () => undefined); // ended below, before it opened
    return new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'], ...(res.headers['retry-after'] ? { retryAfter: res.headers['retry-after'] } : {}) });
      });
      ws.once('open', () => reject(new Error('the upgrade was accepted')));
    });
  }

  it('runs an invoke and answers start, text and result, each carrying the call id', async () => {
    const client = await connect();
    client.send({ type: 'invoke', id: 'c1', plugin: 'code-review', operation: 'review', input: review });
    const result = await client.until((m) => m.type === 'result');
    expect(client.received.map((m) => [m.type, m.id])).toEqual([['start', 'c1'], ['text', 'c1'], ['result', 'c1']]);
    expect(client.received[0]).toMatchObject({ requestId: expect.any(String), sessionId: 'fake-1' });
    expect(client.received[1]).toMatchObject({ text: 'fake answer' });
    expect(result).toMatchObject({ result: { summary: 's', filesNotReviewed: [] }, usage: { inputTokens: 100 } });
    expect(log.audit).toEqual([expect.objectContaining({ transport: 'ws', key: 'alice', outcome: 'success' })]);
  });

  it('answers a message it cannot read with an error whose id is null', async () => {
    const client = await connect();
    client.send('not json');
    client.send({ type: 'shout', id: 'x' });
    await client.until(() => client.received.length === 2);
    expect(client.received).toEqual([
      expect.objectContaining({ type: 'error', id: null, problem: expect.objectContaining({ code: 'invalid_input' }) }),
      expect.objectContaining({ type: 'error', id: null, problem: expect.objectContaining({ code: 'invalid_input' }) }),
    ]);
  });

  it('refuses an id that is still running as invalid_input; cancel ends that call', async () => {
    engine.script({ waitForAbort: true });
    const client = await connect();
    const invoke = { type: 'invoke', id: 'c1', plugin: 'code-review', operation: 'review', input: review };
    client.send(invoke);
    await client.until((m) => m.type === 'start');
    client.send(invoke);
    const duplicate = await client.until((m) => m.type === 'error');
    expect(duplicate).toMatchObject({ id: 'c1', problem: { code: 'invalid_input' } });
    client.send({ type: 'cancel', id: 'c1' });
    const ended = await client.until((m) => m.type === 'error' && m !== duplicate);
    expect(ended).toMatchObject({ id: 'c1', problem: { code: 'client_closed_request' } });
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]?.signal?.aborted).toBe(true);
  });

  it('ends the calls of a socket that closes', async () => {
    engine.script({ waitForAbort: true });
    const client = await connect();
    client.send({ type: 'invoke', id: 'c1', plugin: 'code-review', operation: 'review', input: review });
    await client.until((m) => m.type === 'start');
    client.ws.close();
    expect(await waitUntil(() => log.audit.length === 1, 5_000)).toBe(true);
    expect(log.audit[0]).toMatchObject({ transport: 'ws', outcome: 'client_closed_request' });
    expect(engine.requests[0]?.signal?.aborted).toBe(true);
  });

  it('refuses an upgrade without a valid key with 401 and WWW-Authenticate', async () => {
    expect(await refusal({})).toEqual({ status: 401, challenge: expect.stringMatching(/^Bearer realm=/) });
    expect(await refusal({ authorization: 'Bearer ccp_not-a-key-000000000000000' })).toMatchObject({ status: 401, challenge: expect.stringContaining('invalid_token') });
  });

  it("counts each upgrade against the key's request rate: over it, 429 with Retry-After", async () => {
    await connect(bob.headers);
    await connect(bob.headers);
    expect(await refusal(bob.headers)).toEqual({ status: 429, challenge: undefined, retryAfter: expect.stringMatching(/^\d+$/) });
    await expect(connect(alice.headers)).resolves.toBeInstanceOf(Client); // another key's bucket
  });

  it('refuses an upgrade from a browser origin that is not allowed with 403, and accepts an allowed one', async () => {
    expect(await refusal({ ...alice.headers, origin: 'https://evil.example' })).toMatchObject({ status: 403 });
    await expect(connect({ ...alice.headers, origin: ORIGIN })).resolves.toBeInstanceOf(Client);
  });

  it('answers an invoke during drain with an error event: shutting_down', async () => {
    const client = await connect();
    rt.lifecycle.startDraining();
    client.send({ type: 'invoke', id: 'late', plugin: 'code-review', operation: 'review', input: review });
    expect(await client.until((m) => m.id === 'late')).toMatchObject({ type: 'error', problem: { code: 'shutting_down' } });
    expect(engine.requests).toHaveLength(0);
    expect(log.audit.map((l) => l.outcome)).toEqual(['shutting_down']);
  });
});
