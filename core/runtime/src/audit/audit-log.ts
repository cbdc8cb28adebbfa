import { UnavailableError, type Logger } from '@ccp/plugin-api';
import pino from 'pino';
import type { PlatformConfig } from '../config/schema';
import { createLogger, type LogSecrets } from '../logging/logger';
import type { Metrics } from '../metrics/metrics';
import { FileAuditSink, type AuditSinkHealth } from './audit-sink';

/** One audit line: who called what, how it ended, what it cost. Never a key, never content. */
export interface AuditEntry {
  readonly requestId: string;
  /** The API key's name (`anonymous` when auth is off). */
  readonly key: string;
  /** The API key's id (`key_…` in the database, `file:<name>` in the config file). */
  readonly keyId?: string;
  /** The engine that ran (or would have run) the call: `agent`, `messages`. */
  readonly engine?: string;
  /** The background job the call ran for. */
  readonly jobId?: string;
  readonly plugin: string;
  readonly operation: string;
  readonly transport: 'http' | 'sse' | 'ws' | 'job' | 'mcp';
  /** `success`, or the failure code (`upstream_overloaded`, `budget_exhausted`, …). */
  readonly outcome: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly sessionId?: string;
  readonly cacheReadInputTokens?: number;
  readonly cacheCreationInputTokens?: number;
  /** How `costUsd` was arrived at: `reported` by the engine, `observed` in the stream, the `reservation`, or `none`. */
  readonly spendBasis?: string;
}

/** One audit line of a change to an API key: what changed, which key, and the key that acted. Never a secret. */
export interface KeyChangeEntry {
  readonly requestId: string;
  readonly action: 'key.created' | 'key.updated' | 'key.rotated' | 'key.revoked';
  readonly keyId: string;
  readonly keyName: string;
  /** The name of the key that made the change (`npm run keys` from a shell). */
  readonly actor: string;
  /** The fields a change set (names only, never values that could hold a secret). */
  readonly fields?: readonly string[];
}

/**
 * One audit record of a call of a plugin's defined tool (`msg: tool_call`), apart from the
 * call's own `invocation` line: which tool, how it ended, how long it took; never its
 * arguments or its answer (they may hold the caller's code or secrets).
 */
export interface ToolCallAuditEntry {
  readonly requestId: string;
  readonly key?: string;
  readonly plugin: string;
  readonly operation: string;
  readonly tool: string;
  /** `success`, `error` (it threw), `timeout`, `invalid_input` or `aborted`. */
  readonly outcome: string;
  readonly durationMs: number;
}

/** An audit line as the admin audit tail shows it: the entry and when it was written. */
export type RecentAuditEntry = AuditEntry & { readonly at: string };

/** Filters of {@link AuditLog.recent}; each matches exactly when given. */
export interface AuditFilter {
  readonly key?: string;
  readonly plugin?: string;
  readonly outcome?: string;
  readonly limit?: number;
}

/** Audit lines kept in memory for the admin audit tail (the file or stdout keeps them all). */
export const RECENT_AUDIT_LINES = 1000;

/** What the audit log needs of its file sink. */
export interface AuditFileSink {
  health(): AuditSinkHealth;
  close(): Promise<void>;
}

/** What happens to new calls while the audit file cannot be written (`audit.onFailure`). */
export type AuditFailurePolicy = 'continue' | 'refuse';

/** See {@link AuditLog.state}. */
export type AuditState =
  | { readonly sink: 'stdout'; readonly onFailure: AuditFailurePolicy }
  | ({ readonly sink: 'file'; readonly onFailure: AuditFailurePolicy } & AuditSinkHealth);

/** Seconds a refused caller is asked to wait: a disk is not freed in a moment. */
const REFUSED_RETRY_AFTER_SECONDS = 30;

/**
 * Writes one structured line per call (to stdout, and to a file when configured).
 * A failing file never fails a call by itself: `audit.onFailure` decides, through
 * {@link AuditLog.refusing}, whether new calls are refused meanwhile.
 */
export class AuditLog {
  private readonly listeners: ((entry: AuditEntry) => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly file?: AuditFileSink,
    private readonly onFailure: AuditFailurePolicy = 'continue',
    private readonly now: () => Date = () => new Date(),
  ) {}

  private readonly tail: RecentAuditEntry[] = [];

  /** Writes a call's line, keeps it for the audit tail, and hands it to each listener (the usage ledger takes one row per line). */
  record(entry: AuditEntry): void {
    this.logger.info({ audit: true, ...entry }, 'invocation');
    this.tail.push({ at: this.now().toISOString(), ...entry });
    if (this.tail.length > RECENT_AUDIT_LINES) this.tail.splice(0, this.tail.length - RECENT_AUDIT_LINES);
    for (const listener of this.listeners) listener(entry);
  }

  /** Calls `listener` with every call's line from now on; it must not throw or wait. */
  onRecord(listener: (entry: AuditEntry) => void): void {
    this.listeners.push(listener);
  }

  /** Writes the line of a change to an API key. */
  keyChange(entry: KeyChangeEntry): void {
    this.logger.info({ audit: true, ...entry }, 'key change');
  }

  /** Writes the record of one defined tool call (see {@link ToolCallAuditEntry}). */
  recordToolCall(entry: ToolCallAuditEntry): void {
    this.logger.info({ audit: true, ...entry }, 'tool_call');
  }

  /** The last lines this instance wrote (at most {@link RECENT_AUDIT_LINES}), newest first, filtered. */
  recent(filter: AuditFilter = {}): RecentAuditEntry[] {
    const out: RecentAuditEntry[] = [];
    const limit = filter.limit ?? 100;
    for (let i = this.tail.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.tail[i] as RecentAuditEntry;
      if (filter.key !== undefined && e.key !== filter.key) continue;
      if (filter.plugin !== undefined && e.plugin !== filter.plugin) continue;
      if (filter.outcome !== undefined && e.outcome !== filter.outcome) continue;
      out.push(e);
    }
    return out;
  }

  /** True while new calls must be refused: the file is failing and `audit.onFailure` is `refuse`. */
  get refusing(): boolean {
    return this.onFailure === 'refuse' && this.file?.health().failing === true;
  }

  /** Throws 503 `audit_unavailable` while {@link refusing}; call it before a call runs. */
  assertAccepting(): void {
    if (!this.refusing) return;
    throw new UnavailableError(
      'audit_unavailable',
      'This instance cannot write its audit log, and it is configured (audit.onFailure: refuse) to take no calls it cannot audit. Retry later or on another instance; an operator should check the audit file\'s disk.',
      { retryAfterSeconds: REFUSED_RETRY_AFTER_SECONDS },
    );
  }

  /** Where audit lines go and, for a file, how writing it goes (`/health/ready` reports it). */
  state(): AuditState {
    if (!this.file) return { sink: 'stdout', onFailure: this.onFailure };
    return { sink: 'file', onFailure: this.onFailure, ...this.file.health() };
  }

  /** Writes what it can of the queued lines and closes the file, within a bounded time. */
  async close(): Promise<void> {
    await this.file?.close();
  }
}

/** What {@link createAuditLog} needs besides the audit config. */
export interface AuditLogDeps {
  /** The platform logger: audit lines go through it when there is no file; failures are logged there. */
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Secrets scrubbed from every audit line (as from every log line). */
  readonly secrets: LogSecrets;
  /** Where the platform's log lines go (stdout when absent); audit lines go there too. */
  readonly stdout?: pino.DestinationStream;
  /** The sink to use instead of a {@link FileAuditSink} on `audit.file` (unit tests). */
  readonly sink?: FileAuditSink;
}

/**
 * The audit log for a config: lines to the platform log, and with `audit.file` also to a
 * {@link FileAuditSink} whose failures are logged (on each change, not each retry) and
 * counted in `ccp_audit_write_failures_total` and `ccp_audit_lines_dropped_total`.
 */
export function createAuditLog(audit: PlatformConfig['audit'], deps: AuditLogDeps): AuditLog {
  if (!audit.file) return new AuditLog(deps.logger, undefined, audit.onFailure);
  const sink = deps.sink ?? new FileAuditSink({ path: audit.file });
  let reported = false;
  sink.on('write-failed', (err) => {
    deps.metrics.auditWriteFailures.inc();
    if (reported) return;
    reported = true;
    const h = sink.health();
    deps.logger.error({ file: audit.file, reason: h.lastError, onFailure: audit.onFailure }, `the audit file cannot be written: ${(err as NodeJS.ErrnoException).code ?? err.message}; audit.onFailure is ${audit.onFailure}`);
  });
  sink.on('dropped', (count) => {
    deps.metrics.auditDroppedLines.inc(count);
    if (reported) return;
    reported = true;
    deps.logger.error({ file: audit.file, reason: sink.health().lastError, onFailure: audit.onFailure }, 'audit lines were dropped');
  });
  sink.on('recovered', () => {
    reported = false;
    const h = sink.health();
    deps.logger.warn({ file: audit.file, droppedLines: h.droppedLines, failedWrites: h.failedWrites }, 'the audit file is written again');
  });
  const lines = createLogger('info', deps.secrets, pino.multistream([{ stream: deps.stdout ?? process.stdout }, { stream: sink }]));
  return new AuditLog(lines, sink, audit.onFailure);
}
