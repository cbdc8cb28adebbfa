import { NotFoundError } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import type { SessionRecord, SessionRepository } from './session-record';

/**
 * The caller's live session. Anyone else's, or an expired one, is a 404 (never a 403: a
 * session id tells nothing about who holds it). A session at its turn limit is deleted when
 * asked for another turn; `reading` (its record, its turn log) leaves it to be read.
 */
export async function ownedSession(
  sessions: SessionRepository,
  owner: string,
  sessionId: string,
  settings: PlatformConfig['sessions'],
  record: SessionRecord | undefined,
  reading = false,
): Promise<SessionRecord> {
  const missing = `There is no session "${sessionId}" for this caller, or it has expired (sessions end ${Math.round(settings.ttlMs / 60_000)} min after their last turn, or after ${settings.maxTurns} turns). Start a new one with POST /v1/plugins/{id}/sessions.`;
  if (!record || record.owner !== owner) throw new NotFoundError('session_not_found', missing);
  if (!reading && record.turns >= settings.maxTurns) {
    await sessions.delete(sessionId);
    throw new NotFoundError('session_not_found', missing);
  }
  return record;
}
