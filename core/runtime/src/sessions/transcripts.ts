import type { SessionKey, SessionStore, SessionStoreEntry } from '@anthropic-ai/claude-agent-sdk';

/** The SDK's SessionStore, plus what the platform needs to end a session's transcript. */
export interface TranscriptStore extends SessionStore {
  /** Drops every transcript of a session (main and subagents). */
  deleteSession(sessionId: string): Promise<void>;
  close(): Promise<void>;
}

// Keyed by session id (a UUID) and subpath only, not by the SDK's projectKey: that is
// derived from the working directory, which differs between replicas and restarts.
const subkey = (key: SessionKey) => key.subpath ?? '';

/** Transcripts in this process's memory, grouped by session so they can be dropped together. */
export class MemoryTranscripts implements TranscriptStore {
  private readonly sessions = new Map<string, Map<string, SessionStoreEntry[]>>();

  async append(key: SessionKey, entries: SessionStoreEntry[]): Promise<void> {
    const session = this.sessions.get(key.sessionId) ?? new Map<string, SessionStoreEntry[]>();
    this.sessions.set(key.sessionId, session);
    session.set(subkey(key), [...(session.get(subkey(key)) ?? []), ...structuredClone(entries)]);
  }

  async load(key: SessionKey): Promise<SessionStoreEntry[] | null> {
    const entries = this.sessions.get(key.sessionId)?.get(subkey(key));
    return entries ? structuredClone(entries) : null;
  }

  async listSubkeys(key: { projectKey: string; sessionId: string }): Promise<string[]> {
    return [...(this.sessions.get(key.sessionId)?.keys() ?? [])].filter((k) => k !== '');
  }

  async delete(key: SessionKey): Promise<void> {
    this.sessions.get(key.sessionId)?.delete(subkey(key));
  }

  async deleteSession(sessionId: string): Promise<void> {
    this.sessions.delete(sessionId);
  }

  async close(): Promise<void> {
    this.sessions.clear();
  }
}
