import { ConflictError } from '@ccp/plugin-api';
import type { PlatformConfig } from '../../config/schema';
import { ownedSession } from '../../sessions/owned';
import type { SessionRecord, SessionRepository } from '../../sessions/session-record';
import type { TranscriptStore } from '../../sessions/transcripts';
import { turnEntry } from '../../sessions/turn-log';
import { failClosed } from '../../state/unavailable';
import type { CallResult } from '../call';
import type { Stage } from '../pipeline';

/** The SDK's running totals before the next turn: what the session has used so far. */
function priorOf(record: SessionRecord) {
  const { costUsd, ...usage } = record.usage;
  return { usage, costUsd };
}

function plus(a: SessionRecord['usage'], b: CallResult['usage']): SessionRecord['usage'] {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadInputTokens: a.cacheReadInputTokens + b.cacheReadInputTokens,
    cacheCreationInputTokens: a.cacheCreationInputTokens + b.cacheCreationInputTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}

/**
 * A session turn runs under the session's lock (409 `session_busy` while another turn
 * holds it), from the record as it is once the lock is held (never a stale copy), and
 * updates the record after it. The lock is released before the call is over, so a drain
 * that waits for every call waits for every lock. A store that fails mid-turn is a typed
 * 503 (`shared_state_unavailable`), never a 500; the turn's spend is settled either way.
 */
export function sessionTurnStage(sessions: SessionRepository, transcripts: TranscriptStore, settings: PlatformConfig['sessions'], now: () => number = Date.now): Stage {
  return async (ctx, next) => {
    const { call } = ctx;
    if (!call.session) return next();
    const id = call.session.id;
    // Longer than any turn can run, so a lock never lapses under a live turn.
    const release = await failClosed(sessions.lock(id, ctx.plugin.timeoutMs + 60_000));
    if (!release) throw new ConflictError('session_busy', `Session ${id} is still answering another message. Wait for that answer, then try again.`, { retryAfterSeconds: 1 });
    try {
      const record = await ownedSession(sessions, call.caller.name, id, settings, await failClosed(sessions.get(id)));
      ctx.turn = { id, resume: record.turns > 0, prior: priorOf(record), files: ctx.operation ? (ctx.prepared?.files ?? []) : record.files };
      let result: CallResult;
      try {
        result = await next();
      } catch (err) {
        // A failed first turn may have left transcript entries; the next first turn starts clean.
        if (record.turns === 0) await transcripts.deleteSession(id).catch(() => undefined);
        throw err;
      }
      // Unsaved, the turn would be lost to the session: a typed 503 (its spend is audited and charged).
      // The turn's log entry (what was asked, the answer) is written with the record.
      const at = now();
      const entry = turnEntry(record.turns + 1, at, call, result);
      await failClosed(sessions.save({ ...record, turns: record.turns + 1, lastActiveAt: at, usage: plus(record.usage, result.usage) }, settings.ttlMs, entry));
      return { ...result, sessionId: id };
    } finally {
      // A lock that cannot be released (the store went away) lapses by its TTL; the turn's outcome stands.
      await Promise.resolve().then(release).catch(() => undefined);
    }
  };
}
