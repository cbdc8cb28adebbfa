import { randomUUID } from 'node:crypto';
import { ConflictError, InputError, NotFoundError, RateLimitedError } from '@ccp/plugin-api';
import { z } from 'zod';
import type { PlatformConfig } from '../config/schema';
import { fieldErrors, type InvocationContext, type InvocationResult, type OperationInvoker } from '../invoke/invoker';
import type { SessionRecord, SessionRepository } from './session-record';
import type { TranscriptStore } from './transcripts';
import type { Caller } from '../auth/caller';

const createBody = z.strictObject({ operation: z.string().min(1).optional(), input: z.unknown().optional() });
const messageBody = z.strictObject({ text: z.string().min(1, 'must not be empty').max(100_000) });

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

/** The SDK's running totals before the next turn: what the session has used so far. */
function priorOf(record: SessionRecord) {
  const { costUsd, ...usage } = record.usage;
  return { usage, costUsd };
}

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = fieldErrors(parsed.error);
  throw new InputError('invalid_input', `The body does not match ${what}: ${errors.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; ')}.`, { errors });
}

/**
 * Multi-turn sessions: create, continue, inspect, list, delete. Continuation resumes the
 * SDK session from the transcript store, so the model really sees the earlier turns, on
 * whichever replica serves the turn. One turn at a time per session (409 otherwise).
 */
export class SessionService {
  constructor(
    private readonly invoker: OperationInvoker,
    private readonly sessions: SessionRepository,
    private readonly transcripts: TranscriptStore,
    private readonly settings: PlatformConfig['sessions'],
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a session, answering a first operation call when the body has `input`. */
  async create(caller: Caller, pluginId: string, body: unknown, context: InvocationContext): Promise<{ sessionId: string } & Partial<InvocationResult>> {
    const owner = caller.name;
    const plugin = this.invoker.plugin(pluginId, caller);
    const { operation, input } = parse(createBody, body, 'a session start ({ operation?, input? })');
    const names = [...plugin.operations.keys()];
    const opName = operation ?? (names.length === 1 ? names[0] : undefined);
    if (input !== undefined && !opName) {
      throw new InputError('invalid_input', `Name the operation of the first input; plugin "${pluginId}" has ${names.join(', ')}.`, { errors: [{ field: 'operation', message: 'required' }] });
    }
    const call = input !== undefined && opName ? this.invoker.plan(pluginId, opName, input, caller) : undefined;
    if (!call) this.invoker.requireCredentials();
    const open = await this.sessions.list(owner);
    if (open.length >= this.settings.maxPerCaller) {
      throw new RateLimitedError('too_many_sessions', `This caller already has ${open.length} open sessions (the limit is ${this.settings.maxPerCaller}). Delete some with DELETE /v1/sessions/{id}, or let them expire.`);
    }
    const at = this.now();
    const record: SessionRecord = {
      id: randomUUID(), plugin: pluginId, owner, createdAt: at, lastActiveAt: at, turns: 0,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, files: call?.prepared.files ?? [],
    };
    await this.sessions.save(record, this.settings.ttlMs);
    if (!call) return { sessionId: record.id };
    try {
      const turn = await this.turn(owner, record.id, (current) => this.invoker.execute(call, context, { id: current.id, resume: false, prior: priorOf(current) }));
      return { ...turn, sessionId: record.id };
    } catch (err) {
      await this.sessions.delete(record.id);
      throw err;
    }
  }

  /** Continues a session with a free-text message; the answer is `{ text }`. */
  async message(owner: string, sessionId: string, body: unknown, context: InvocationContext): Promise<InvocationResult> {
    const { text } = parse(messageBody, body, 'a message ({ text })');
    const record = await this.owned(owner, sessionId);
    const plugin = this.invoker.plugin(record.plugin, context.caller);
    return this.turn(owner, sessionId, (current) =>
      this.invoker.converse(plugin, text, current.files, { id: current.id, resume: current.turns > 0, prior: priorOf(current) }, context),
    );
  }

  async get(owner: string, sessionId: string): Promise<SessionView> {
    return this.view(await this.owned(owner, sessionId));
  }

  async list(owner: string): Promise<SessionView[]> {
    return (await this.sessions.list(owner)).sort((a, b) => b.lastActiveAt - a.lastActiveAt).map((r) => this.view(r));
  }

  /** Deletes a session; a session answering a message is busy (409), not half-deleted. */
  async delete(owner: string, sessionId: string): Promise<void> {
    const record = await this.owned(owner, sessionId);
    const release = await this.sessions.lock(sessionId, this.lockTtlMs(record));
    if (!release) throw this.busy(sessionId);
    try {
      await this.sessions.delete(sessionId);
    } finally {
      await release();
    }
  }

  private busy(id: string): ConflictError {
    return new ConflictError('session_busy', `Session ${id} is still answering another message. Wait for that answer, then try again.`);
  }

  /** Longer than any turn can run, so a lock never lapses under a live turn. */
  private lockTtlMs(record: SessionRecord): number {
    return (this.invoker.plugin(record.plugin).timeoutMs ?? 300_000) + 60_000;
  }

  /**
   * Runs one turn under the session's lock. The record is read again after the lock is
   * taken, so a turn always starts from the turn before it, never from a stale copy.
   */
  private async turn(owner: string, sessionId: string, run: (current: SessionRecord) => Promise<InvocationResult>): Promise<InvocationResult> {
    const seen = await this.owned(owner, sessionId);
    const release = await this.sessions.lock(sessionId, this.lockTtlMs(seen));
    if (!release) throw this.busy(sessionId);
    try {
      const record = await this.owned(owner, sessionId);
      let result: InvocationResult;
      try {
        result = await run(record);
      } catch (err) {
        // A failed first turn may have left transcript entries; the next first turn starts clean.
        if (record.turns === 0) await this.transcripts.deleteSession(record.id).catch(() => undefined);
        throw err;
      }
      const u = record.usage;
      const t = result.usage;
      const usage = {
        inputTokens: u.inputTokens + t.inputTokens,
        outputTokens: u.outputTokens + t.outputTokens,
        cacheReadInputTokens: u.cacheReadInputTokens + t.cacheReadInputTokens,
        cacheCreationInputTokens: u.cacheCreationInputTokens + t.cacheCreationInputTokens,
        costUsd: u.costUsd + t.costUsd,
      };
      await this.sessions.save({ ...record, turns: record.turns + 1, lastActiveAt: this.now(), usage }, this.settings.ttlMs);
      return { ...result, sessionId: record.id };
    } finally {
      await release();
    }
  }

  /** The caller's live session; anyone else's, or an expired one, is a 404. */
  private async owned(owner: string, sessionId: string): Promise<SessionRecord> {
    const record = await this.sessions.get(sessionId);
    const missing = `There is no session "${sessionId}" for this caller, or it has expired (sessions end ${Math.round(this.settings.ttlMs / 60_000)} min after their last turn, or after ${this.settings.maxTurns} turns). Start a new one with POST /v1/plugins/{id}/sessions.`;
    if (!record || record.owner !== owner) throw new NotFoundError('session_not_found', missing);
    if (record.turns >= this.settings.maxTurns) {
      await this.sessions.delete(sessionId);
      throw new NotFoundError('session_not_found', missing);
    }
    return record;
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
