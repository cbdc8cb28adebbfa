import { codeReviewPlugin } from '@ccp/plugin-code-review';
import { ANONYMOUS, type Caller } from '../auth/caller';
import { parseConfig } from '../config/load-config';
import type { Secrets } from '../config/schema';
import { buildRegistry } from '../plugins/build-registry';
import { MemorySessions } from '../sessions/memory-sessions';
import type { SessionRecord } from '../sessions/session-record';
import { MemoryTranscripts } from '../sessions/transcripts';
import type { CallRequest } from './call';
import { Planner } from './plan';

const config = parseConfig({ sessions: { maxTurns: 3 }, plugins: { 'code-review': { timeoutMs: 1000 } } });
const review = { files: [{ path: 'a.ts', content: 'x' }] };
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'] };
const NOW = 1_000_000;

function planner(secrets: Secrets = { anthropicApiKey: 'sk-ant-unit-0000' }) {
  const sessions = new MemorySessions(new MemoryTranscripts());
  const registry = buildRegistry(config, [codeReviewPlugin], process.cwd());
  return { sessions, planner: new Planner(registry, secrets, sessions, config.sessions, () => NOW) };
}

const operation = (over: Partial<Extract<CallRequest, { kind: 'operation' }>> = {}): CallRequest => ({
  kind: 'operation', requestId: 'r1', caller: alice, transport: 'http', streaming: false, plugin: 'code-review', operation: 'review', body: review, ...over,
});
const message = (sessionId: string, body: unknown = { text: 'hi' }, caller = alice): CallRequest => ({ kind: 'message', requestId: 'r2', caller, transport: 'ws', streaming: true, sessionId, body });
const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 's1', plugin: 'code-review', owner: 'alice', createdAt: 0, lastActiveAt: 0, turns: 1,
  usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, files: [], ...over,
});

describe('Planner', () => {
  it('plans an operation call as plain data: validated input, deadline from the plugin time limit', async () => {
    const { planner: p } = planner();
    const planned = await p.plan(operation({ cacheControl: 'no-cache', clientIp: '10.0.0.1' }));
    expect(planned.call).toEqual({
      requestId: 'r1', caller: alice, clientIp: '10.0.0.1', transport: 'http', streaming: false, plugin: 'code-review', operation: 'review',
      input: review, deadline: NOW + 1000, cacheControl: 'no-cache',
    });
    expect(structuredClone(planned.call)).toEqual(planned.call); // a job queue could store it
    expect(planned.operation?.name).toBe('review');
  });

  it('refuses an unknown plugin or operation with 404', async () => {
    const { planner: p } = planner();
    await expect(p.plan(operation({ plugin: 'nope' }))).rejects.toMatchObject({ status: 404, code: 'plugin_not_found' });
    await expect(p.plan(operation({ operation: 'nope' }))).rejects.toMatchObject({ status: 404, code: 'operation_not_found', detail: expect.stringContaining('review') });
  });

  it('refuses a plugin the key may not use with 403', async () => {
    const { planner: p } = planner();
    await expect(p.plan(operation({ caller: { ...alice, plugins: ['doc-generator'] } }))).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });

  it('refuses input that fails the schema with 400, listing the fields', async () => {
    const { planner: p } = planner();
    const refused = p.plan(operation({ body: { files: [], extra: 1 } }));
    await expect(refused).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
    await expect(refused).rejects.toMatchObject({ extras: { errors: expect.arrayContaining([expect.objectContaining({ field: 'extra' })]) } });
  });

  it('refuses with 503 credentials_missing when no credentials are set, after checking the input', async () => {
    const { planner: p } = planner({});
    await expect(p.plan(operation())).rejects.toMatchObject({ status: 503, code: 'credentials_missing' });
    await expect(p.plan(operation({ body: {} }))).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it("plans a message to the caller's own session as a turn of it", async () => {
    const { planner: p, sessions } = planner();
    await sessions.save(record(), 60_000);
    const planned = await p.plan(message('s1'));
    expect(planned.call).toMatchObject({ plugin: 'code-review', operation: 'message', input: { text: 'hi' }, session: { id: 's1' }, transport: 'ws', deadline: NOW + 1000 });
    expect(planned.operation).toBeUndefined();
  });

  it("answers 404 for a session that is someone else's, missing, or past its turns (then deleted)", async () => {
    const { planner: p, sessions } = planner();
    await sessions.save(record(), 60_000);
    await expect(p.plan(message('s1', { text: 'hi' }, { ...ANONYMOUS, name: 'bob' }))).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
    await expect(p.plan(message('nope'))).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
    await sessions.save(record({ turns: 3 }), 60_000);
    await expect(p.plan(message('s1'))).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
    expect(await sessions.get('s1')).toBeUndefined();
  });

  it('refuses a bad message body with 400 before looking up the session', async () => {
    const { planner: p } = planner();
    await expect(p.plan(message('nope', { text: '' }))).rejects.toMatchObject({ status: 400, code: 'invalid_input' });
  });
});
