import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, RateLimitedError } from '@ccp/plugin-api';
import { z } from 'zod';
import { ANONYMOUS, type Caller } from '../auth/caller';
import type { CallRequest, CallResult, CallSink } from '../calls/call';
import { parseBody, type Planner } from '../calls/plan';
import type { CallRunner } from '../calls/runner';
import type { PlatformConfig } from '../config/schema';
import type { Lifecycle } from '../lifecycle/lifecycle';
import { failClosed } from '../state/unavailable';
import { ownedSession } from './owned';
import type { SessionRecord, SessionRepository } from './session-record';
import type { SessionTurn } from './turn-log';

export const createBody = z.strictObject({ operation: z.string().min(1).optional(), input: z.unknown().optional() });

/** How a session looks to its owner. */
export interface SessionView {
  readonly sessionId: string;
  readonly plugin: string;
  readonly createdAt: string;
  readonly lastActiveAt: string;
  readonly expiresAt: string;
  readonly turns: number;
  readonly maxTurns: number;
  readonly usage: SessionRecord['usage'];
}

/** Where a transport's call comes from: who, over what, and what it wants streamed. */
export interface CallOrigin {
  readonly requestId: string;
  readonly caller: Caller;
  readonly clientIp?: string;
  readonly transport: CallRequest['transport'];
  readonly streaming: boolean;
}

/**
 * Multi-turn sessions: create, inspect, list, delete. A turn (the first operation call of a
 * new session, or a message) is a call like any other and runs through the call runner; its
 * session stage takes the lock and resumes the SDK session from the transcript store, so the
 * model sees the earlier turns on whichever replica serves the turn.
 */
export class SessionService {
  constructor(
    private readonly runner: CallRunner,
    private readonly planner: Planner,
    private readonly lifecycle: Lifecycle,
    private readonly sessions: SessionRepository,
    private readonly settings: PlatformConfig['sessions'],
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Starts a session, answering a first operation call when the body has `input`. A first
   * input refused before its turn runs (draining, bad input, too many sessions, the store
   * away) is a call refused, and leaves its audit line like any other.
   */
  async create(origin: CallOrigin, pluginId: string, body: unknown, sink: CallSink, signal?: AbortSignal): Promise<{ sessionId: string } & Partial<CallResult>> {
    const startedAt = performance.now();
    let opened;
    try {
      opened = await this.open(origin, pluginId, body);
    } catch (err) {
      const given = typeof body === 'object' && body !== null ? (body as { operation?: unknown; input?: unknown }) : {};
      if (given.input !== undefined) {
        const operation = typeof given.operation === 'string' ? given.operation : '';
        this.runner.refuse({ kind: 'operation', ...origin, plugin: pluginId, operation, body: given.input }, err, startedAt);
      }
      throw err;
    }
    const { record, first, opName, input } = opened;
    if (!first || !opName) return { sessionId: record.id };
    try {
      const turn = await this.runner.run({ kind: 'operation', ...origin, plugin: pluginId, operation: opName, body: input, session: { id: record.id } }, sink, signal);
      return { ...turn, sessionId: record.id };
    } catch (err) {
      await this.sessions.delete(record.id).catch(() => undefined);
      throw err;
    }
  }

  /** Checks a session start and saves its record; nothing is saved when a check refuses it. */
  private async open(origin: CallOrigin, pluginId: string, body: unknown) {
    this.lifecycle.assertAdmitting();
    const owner = origin.caller.name;
    const plugin = this.planner.plugin(pluginId, origin.caller);
    const { operation, input } = parseBody(createBody, body, 'a session start ({ operation?, input? })');
    const names = [...plugin.operations.keys()];
    const opName = operation ?? (names.length === 1 ? names[0] : undefined);
    if (input !== undefined && !opName) {
      throw new InputError('invalid_input', `Name the operation of the first input; plugin "${pluginId}" has ${names.join(', ')}.`, { errors: [{ field: 'operation', message: 'required' }] });
    }
    // Refuse a bad first input before any record exists.
    const first = input !== undefined && opName ? await this.planner.plan({ kind: 'operation', ...origin, plugin: pluginId, operation: opName, body: input }) : undefined;
    if (first?.call.source) {
      throw new InputError('invalid_input', 'A session cannot start from a repository source yet: review the repository with a call or a job, then start a session with files.', { errors: [{ field: 'input.source', message: 'not supported in a session' }] });
    }
    if (!first) this.planner.requireCredentials();
    const open = await failClosed(this.sessions.list(owner));
    if (open.length >= this.settings.maxPerCaller) {
      throw new RateLimitedError('too_many_sessions', `This caller already has ${open.length} open sessions (the limit is ${this.settings.maxPerCaller}). Delete some with DELETE /v1/sessions/{id}, or let them expire.`);
    }
    const at = this.now();
    const files = first?.operation ? (first.operation.definition.prepare(first.call.input, {}).files ?? []) : [];
    const record: SessionRecord = {
      id: randomUUID(), plugin: pluginId, owner, createdAt: at, lastActiveAt: at, turns: 0,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, files,
    };
    await failClosed(this.sessions.save(record, this.settings.ttlMs));
    return { record, first, opName, input };
  }

  /** Continues a session with a free-text message; the answer is `{ text }`. */
  message(origin: CallOrigin, sessionId: string, body: unknown, sink: CallSink, signal?: AbortSignal): Promise<CallResult> {
    return this.runner.run({ kind: 'message', ...origin, sessionId, body }, sink, signal);
  }

  /** The session; one at its turn limit can still be read (and its turns), not continued. */
  async get(owner: string, sessionId: string): Promise<SessionView> {
    return this.view(await this.owned(owner, sessionId, true));
  }

  /** The session's answered turns, oldest first: what was asked and the answer. */
  async turns(owner: string, sessionId: string): Promise<SessionTurn[]> {
    await this.owned(owner, sessionId, true);
    return failClosed(this.sessions.turns(sessionId));
  }

  async list(owner: string): Promise<SessionView[]> {
    return (await failClosed(this.sessions.list(owner))).sort((a, b) => b.lastActiveAt - a.lastActiveAt).map((r) => this.view(r));
  }

  /** Deletes a session; a session answering a message is busy (409), not half-deleted. */
  async delete(owner: string, sessionId: string): Promise<void> {
    const record = await this.owned(owner, sessionId, true);
    const plugin = this.planner.plugin(record.plugin, ANONYMOUS);
    const release = await failClosed(this.sessions.lock(sessionId, plugin.timeoutMs + 60_000));
    if (!release) throw new ConflictError('session_busy', `Session ${sessionId} is still answering another message. Wait for that answer, then try again.`, { retryAfterSeconds: 1 });
    try {
      await failClosed(this.sessions.delete(sessionId));
    } finally {
      await Promise.resolve().then(release).catch(() => undefined); // lapses by its TTL
    }
  }

  private async owned(owner: string, sessionId: string, reading = false): Promise<SessionRecord> {
    return ownedSession(this.sessions, owner, sessionId, this.settings, await failClosed(this.sessions.get(sessionId)), reading);
  }

  private view(r: SessionRecord): SessionView {
    return {
      sessionId: r.id,
      plugin: r.plugin,
      createdAt: new Date(r.createdAt).toISOString(),
      lastActiveAt: new Date(r.lastActiveAt).toISOString(),
      expiresAt: new Date(r.lastActiveAt + this.settings.ttlMs).toISOString(),
      turns: r.turns,
      maxTurns: this.settings.maxTurns,
      usage: r.usage,
    };
  }
}
