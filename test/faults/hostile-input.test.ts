import type { ErrorCode } from '@ccp/plugin-api';
import { startSimulator, type Simulator } from '@ccp/testing';
import type WebSocket from 'ws';
import { expectProblem, expectProblemBody, must } from './support/problems';
import { GOOD_CALL, Probe, PROBE_TIMEOUT_MS, saveUnfinishedProbes } from './support/probe';
import { bootServer, killLeftoverServers, type FaultServer } from './support/server';
import { invokeAll, openSocket } from './support/ws';

// Hostile bodies, workspace paths and URLs against a real server process: each is a
// documented 4xx (never a 500), a call among them leaves its one audit line, nothing of
// it reaches the model, and the next call is served.

const OP = '/v1/plugins/code-review/review';
const file = (path: string, content = 'export const a = 1;\n') => ({ files: [{ path, content }] });
const json = { 'content-type': 'application/json' };

describe('hostile input', () => {
  let sim: Simulator;
  let server: FaultServer;
  beforeAll(async () => {
    sim = await startSimulator();
    server = await bootServer({ simulator: sim, config: { server: { bodyLimitBytes: 256 * 1024 } } });
  });
  afterAll(async () => {
    saveUnfinishedProbes();
    await killLeftoverServers();
    await sim.close();
  });

  /** Fails if the model was asked anything since `before` requests. */
  const nothingReachedTheModel = (before: number) => must(sim.messageRequests().length === before, 'requests that reached the model', 0, sim.messageRequests().length - before);

  it('hostile bodies: invalid UTF-8, empty, not JSON, deeply nested, huge, another media type', async () => {
    const p = new Probe('hostile bodies', server, 'one malformed body sent to an operation');
    const deep = (n: number) => `{"files":[{"path":"a.ts","content":"x"}],"x":${'['.repeat(n)}${']'.repeat(n)}}`;
    const cases: [string, Record<string, string>, string | Buffer | undefined, ErrorCode][] = [
      ['invalid UTF-8 in a file', json, Buffer.concat([Buffer.from('{"files":[{"path":"a.ts","content":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}]}')]), 'unsupported_media_type'],
      ['an empty JSON body', json, '', 'empty_body'],
      ['no body and no Content-Type', {}, undefined, 'empty_body'],
      ['truncated JSON', json, '{"files":[{"path":"a.ts",', 'invalid_json'],
      ['a JSON string, not an object', json, '"files"', 'invalid_json'],
      ['nested 100 000 deep', json, deep(100_000), 'invalid_input'],
      ['nested 5 000 deep', json, deep(5_000), 'invalid_input'],
      ['a 1 MiB body over a 256 KiB limit', json, JSON.stringify(file('a.ts', 'x'.repeat(1024 * 1024))), 'body_too_large'],
      ['a 32 MiB body', json, JSON.stringify(file('a.ts', 'x'.repeat(32 * 1024 * 1024))), 'body_too_large'],
      ['text/plain', { 'content-type': 'text/plain' }, JSON.stringify(file('a.ts')), 'unsupported_media_type'],
      ['UTF-16', { 'content-type': 'application/json; charset=utf-16' }, JSON.stringify(file('a.ts')), 'unsupported_media_type'],
      ['__proto__ and constructor keys', json, '{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"files":[{"path":"a.ts","content":"x"}]}', 'invalid_input'],
    ];
    for (const [label, headers, body, code] of cases) {
      await p.attempt(label, async () => {
        const before = sim.messageRequests().length;
        const res = await p.http(label, 'POST', OP, { call: true, headers, body });
        expectProblem(res, code);
        nothingReachedTheModel(before);
      });
    }
    await p.finish();
  }, PROBE_TIMEOUT_MS);

  it('hostile workspace paths: .git, configuration files in any case and at any depth, escapes', async () => {
    const p = new Probe('hostile workspace paths', server, 'one file path a tool in the workspace would obey, or that escapes it');
    const paths = ['.git/HEAD', '.git/config', 'sub/.git/refs/heads/main', '.GIT/objects/ab/cdef', '.claude/settings.json', '.CLAUDE/settings.json', 'sub/.claude/agents/x.md', '.mcp.json', '.MCP.JSON', 'sub/.mcp.json', '../escape.ts', 'a/../../escape.ts', '/etc/passwd', 'a\\b.ts', 'a\u0000b.ts', 'a\u202eb.ts'];
    for (const path of paths) {
      await p.attempt(JSON.stringify(path), async () => {
        const before = sim.messageRequests().length;
        const res = await p.post(`path ${JSON.stringify(path)}`, OP, file(path));
        expectProblem(res, 'invalid_input');
        const fields = (res.json?.errors as { field: string }[] | undefined)?.map((e) => e.field) ?? [];
        must(fields.includes('files.0.path'), 'the fields named', ['files.0.path'], fields);
        nothingReachedTheModel(before);
      });
    }
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('hostile URLs: undecodable, traversing, NUL, very long', async () => {
    const p = new Probe('hostile URLs', server, 'one request with a malformed or traversing path');
    const cases: [string, string, number, ErrorCode | 'success'][] = [
      ['GET', '/%E0%A4%A', 404, 'route_not_found'],
      ['GET', '/v1/plugins/%E0%A4%A', 404, 'route_not_found'],
      ['POST', '/v1/plugins/code-review/%E0%A4%A', 404, 'route_not_found'],
      ['POST', '/v1/sessions/%E0%A4%A/messages', 404, 'route_not_found'],
      ['GET', '/v1/jobs/%E0%A4%A', 404, 'route_not_found'],
      ['GET', '/v1/plugins/code-review/../../../etc/passwd', 404, 'route_not_found'],
      ['GET', '/v1/plugins/..%2f..%2f..%2fetc%2fpasswd', 404, 'plugin_not_found'],
      ['GET', '/v1/plugins/code-review%00', 404, 'plugin_not_found'],
      ['GET', `/v1/plugins/${'a'.repeat(8000)}`, 404, 'plugin_not_found'],
      ['GET', '/v1/plugins?x=%E0%A4%A&y=%%', 200, 'success'],
    ];
    for (const [method, path, status, code] of cases) {
      const label = `${method} ${path.length > 60 ? `${path.slice(0, 40)}… (${path.length} characters)` : path}`;
      await p.attempt(label, async () => {
        const res = await p.http(label, method, path, method === 'POST' ? { headers: json, body: JSON.stringify({ text: 'x' }) } : {});
        if (code === 'success') must(res.status === status, 'the status', status, res.status);
        else expectProblem(res, code);
      });
    }
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('hostile WebSocket frames: not JSON, unknown types, bad inputs, oversized', async () => {
    const p = new Probe('hostile WebSocket frames', server, 'one malformed frame on an open socket');
    const next = (ws: WebSocket) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
        ws.once('message', (m) => {
          clearTimeout(timer);
          resolve(JSON.parse(String(m)) as Record<string, unknown>);
        });
      });
    const ws = await openSocket(p);
    try {
      const notCalls: [string, string | Buffer][] = [
        ['not JSON', 'hello'],
        ['an unknown type', JSON.stringify({ type: 'exec', cmd: 'id' })],
        ['invalid UTF-8 in a binary frame', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
        ['an invoke with an extra field', JSON.stringify({ type: 'invoke', id: 'x', plugin: 'code-review', operation: 'review', input: {}, admin: true })],
      ];
      for (const [label, frame] of notCalls) {
        await p.attempt(label, async () => {
          const answer = next(ws);
          ws.send(frame);
          const event = await answer;
          must(event.type === 'error' && event.id === null, 'the answer', 'an error event without a call id', event);
          expectProblemBody(event.problem, 'invalid_input');
        });
      }
      const calls: [string, Record<string, unknown>, ErrorCode][] = [
        ['an invoke with a .git path', { type: 'invoke', id: 'git', plugin: 'code-review', operation: 'review', input: file('.git/config') }, 'invalid_input'],
        ['an invoke of an unknown plugin', { type: 'invoke', id: 'nope', plugin: 'nope', operation: 'x', input: {} }, 'plugin_not_found'],
        ['a message to an unknown session', { type: 'message', id: 'ghost', sessionId: '00000000-0000-4000-8000-000000000000', text: 'hi' }, 'session_not_found'],
      ];
      for (const [label, message, code] of calls) {
        await p.attempt(label, async () => {
          const [end] = await invokeAll(p, ws, [message], { timeoutMs: 5000, label });
          expectProblemBody(end?.problem, code);
        });
      }
      await p.attempt('a frame over the size limit (the socket is closed, the next one works)', async () => {
        const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
        ws.send('x'.repeat(300 * 1024));
        const code = await Promise.race([closed, new Promise<number>((r) => setTimeout(() => r(0), 5000))]);
        must(code === 1009, 'the close code', 1009, code);
        const fresh = await openSocket(p);
        try {
          const [end] = await invokeAll(p, fresh, [{ type: 'invoke', id: 'after', plugin: 'commit-message', operation: 'write', input: GOOD_CALL.body }], { timeoutMs: 15_000, label: 'the next invoke' });
          must(end?.type === 'result', 'the next invoke', 'its result', end?.problem ?? end?.type);
        } finally {
          fresh.terminate();
        }
      });
    } finally {
      ws.terminate();
    }
    await p.finish({ agentCall: false });
  }, PROBE_TIMEOUT_MS);

  it('refused session starts leave their audit line', async () => {
    const p = new Probe('refused session starts', server, 'one session start whose first input is refused');
    const start = '/v1/plugins/code-review/sessions';
    const cases: [string, unknown, ErrorCode][] = [
      ['a first input that fails its schema', { operation: 'review', input: { files: [] } }, 'invalid_input'],
      ['a first input with a .git path', { operation: 'review', input: file('.git/config') }, 'invalid_input'],
      ['a first input of an unknown operation', { operation: 'nope', input: {} }, 'operation_not_found'],
    ];
    for (const [label, body, code] of cases) {
      await p.attempt(label, async () => {
        const before = sim.messageRequests().length;
        expectProblem(await p.post(label, start, body), code);
        nothingReachedTheModel(before);
      });
    }
    await p.attempt('a session start with no input (not a call) and an unknown field', async () => {
      expectProblem(await p.post('unknown field', start, { nope: 1 }, { call: false }), 'invalid_input');
    });
    await p.finish({ shutdown: true });
  }, PROBE_TIMEOUT_MS);
});
