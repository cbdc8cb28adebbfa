import type { SessionKey } from '@anthropic-ai/claude-agent-sdk';
import { codeReviewPlugin } from '@ccp/plugin-code-review';
import type { Caller } from '../../auth/caller';
import { parseConfig } from '../../config/load-config';
import { buildRegistry } from '../../plugins/build-registry';
import { MemorySessions } from '../../sessions/memory-sessions';
import type { SessionRecord } from '../../sessions/session-record';
import { MemoryTranscripts } from '../../sessions/transcripts';
import type { Call, CallResult } from '../call';
import { CallContext } from '../context';
import { sessionTurnStage } from './session-turn';

const config = parseConfig({});
const plugin = buildRegistry(config, [codeReviewPlugin], process.cwd()).get('code-review');
const alice: Caller = { name: 'alice', roles: ['user'], plugins: ['*'] };
const usage = (n: number) => ({ inputTokens: n, outputTokens: n, cacheReadInputTokens: n, cacheCreationInputTokens: n, costUsd: n / 8 }); // eighths add up exactly
const answer: CallResult = { result: { text: 'hi' }, usage: usage(10), durationMs: 1, sessionId: 'engine-session' };
const NOW = 5_000;
const transcriptKey: SessionKey = { projectKey: 'p', sessionId: 's1' };

const record = (over: Partial<SessionRecord> = {}): SessionRecord => ({
  id: 's1', plugin: 'code-review', owner: 'alice', createdAt: 0, lastActiveAt: 0, turns: 0, usage: usage(0), files: [{ path: 'kept.ts', content: 'k' }], ...over,
});

/** A free-text message turn, or (with `input`) an operation call that is a session's first turn. */
function contextFor(input?: unknown): CallContext {
  if (!plugin) throw new Error('code-review is not registered');
  const operation = input === undefined ? undefined : plugin.operations.get('review');
  const call: Call = {
    requestId: 'r', plugin: 'code-review', operation: operation ? 'review' : 'message', input: input ?? { text: 'hi' }, caller: alice,
    transport: 'http', streaming: false, deadline: 0, session: { id: 's1' },
  };
  return new CallContext(call, plugin, operation, new AbortController().signal, {}, 0, config.pricing);
}

async function setup(saved: SessionRecord = record()) {
  const transcripts = new MemoryTranscripts();
  const sessions = new MemorySessions(transcripts);
  await sessions.save(saved, 60_000);
  await transcripts.append(transcriptKey, [{ type: 'user', uuid: 'u1', timestamp: 't' }]);
  return { sessions, transcripts, stage: sessionTurnStage(sessions, transcripts, config.sessions, () => NOW) };
}

describe('session turn stage', () => {
  it('refuses a turn while another holds the lock with 409 session_busy, running nothing', async () => {
    const { sessions, stage } = await setup();
    await sessions.lock('s1');
    const next = jest.fn(async () => answer);
    await expect(stage(contextFor(), next)).rejects.toMatchObject({ status: 409, code: 'session_busy' });
    expect(next).not.toHaveBeenCalled();
  });

  it('runs a message turn in the files of the session and records the turn and its usage', async () => {
    const { sessions, stage } = await setup();
    const ctx = contextFor();
    const out = await stage(ctx, async () => answer);
    expect(ctx.turn).toEqual({ id: 's1', resume: false, prior: { usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0 }, costUsd: 0 }, files: record().files });
    expect(out).toEqual({ ...answer, sessionId: 's1' });
    expect(await sessions.get('s1')).toEqual(record({ turns: 1, lastActiveAt: NOW, usage: usage(10) }));
  });

  it('runs the first turn of an operation in the files of its input', async () => {
    const { stage } = await setup();
    const ctx = contextFor({ files: [{ path: 'a.ts', content: 'x' }] });
    await stage(ctx, async () => answer);
    expect(ctx.turn?.files).toEqual([{ path: 'a.ts', content: 'x' }]);
  });

  it('reads the record once the lock is held, so a turn that just finished is not lost', async () => {
    // Another turn saves its record in the moment before this one gets the lock.
    class JustFinished extends MemorySessions {
      override async lock(id: string) {
        const release = await super.lock(id);
        if (release) await this.save(record({ turns: 2, usage: usage(5) }), 60_000);
        return release;
      }
    }
    const transcripts = new MemoryTranscripts();
    const sessions = new JustFinished(transcripts);
    await sessions.save(record(), 60_000);
    const ctx = contextFor();
    await sessionTurnStage(sessions, transcripts, config.sessions, () => NOW)(ctx, async () => answer);
    expect(ctx.turn).toMatchObject({ resume: true, prior: { costUsd: 0.625, usage: { inputTokens: 5 } } });
    expect(await sessions.get('s1')).toMatchObject({ turns: 3, usage: usage(15) });
  });

  it('on a failed first turn deletes its transcripts, keeps the record as it was and releases the lock', async () => {
    const { sessions, transcripts, stage } = await setup();
    await expect(stage(contextFor(), async () => Promise.reject(new Error('engine failed')))).rejects.toThrow('engine failed');
    expect(await transcripts.load(transcriptKey)).toBeNull();
    expect(await sessions.get('s1')).toEqual(record());
    expect(await sessions.lock('s1')).toBeInstanceOf(Function);
  });

  it('keeps the transcripts of a session whose later turn failed', async () => {
    const { transcripts, stage } = await setup(record({ turns: 1 }));
    await expect(stage(contextFor(), async () => Promise.reject(new Error('engine failed')))).rejects.toThrow();
    expect(await transcripts.load(transcriptKey)).toHaveLength(1);
  });

  it("releases the lock when the session is not the caller's", async () => {
    const { sessions, stage } = await setup(record({ owner: 'bob' }));
    await expect(stage(contextFor(), async () => answer)).rejects.toMatchObject({ status: 404, code: 'session_not_found' });
    expect(await sessions.lock('s1')).toBeInstanceOf(Function);
  });

  it('answers a typed 503 when the store fails to save the turn, never an untyped error', async () => {
    const transcripts = new MemoryTranscripts();
    class SaveFails extends MemorySessions {
      failing = false;
      override async save(r: SessionRecord, ttlMs: number) {
        if (this.failing) throw new Error('Connection is closed.');
        return super.save(r, ttlMs);
      }
    }
    const sessions = new SaveFails(transcripts);
    await sessions.save(record(), 60_000);
    sessions.failing = true;
    await expect(sessionTurnStage(sessions, transcripts, config.sessions, () => NOW)(contextFor(), async () => answer)).rejects.toMatchObject({ status: 503, code: 'shared_state_unavailable' });
  });

  it('keeps the answer of a turn whose lock cannot be released (the lock lapses by its TTL)', async () => {
    const transcripts = new MemoryTranscripts();
    class ReleaseFails extends MemorySessions {
      override async lock(id: string) {
        const release = await super.lock(id);
        return release && (async () => Promise.reject(new Error('Connection is closed.')));
      }
    }
    const sessions = new ReleaseFails(transcripts);
    await sessions.save(record(), 60_000);
    await expect(sessionTurnStage(sessions, transcripts, config.sessions, () => NOW)(contextFor(), async () => answer)).resolves.toMatchObject({ sessionId: 's1' });
  });
});
