import type { Logger } from '@ccp/plugin-api';
import type { AuditEntry } from '../audit/audit-log';
import type { Database, SqlValue } from '../db/database';

/** One ledger row waiting to be written. */
interface PendingRow {
  readonly at: Date;
  readonly entry: AuditEntry;
}

/** What the writer reports (the metrics take it). */
export interface LedgerWriterEvents {
  written?(rows: number): void;
  failed?(err: unknown): void;
  dropped?(rows: number): void;
}

/** Options of a {@link LedgerWriter}. */
export interface LedgerWriterOptions {
  readonly flushMs: number;
  readonly maxBacklog: number;
  /** Rows per INSERT at most. */
  readonly batchSize?: number;
  readonly now?: () => Date;
  readonly logger?: Logger;
  readonly events?: LedgerWriterEvents;
}

const COLUMNS = ['at', 'request_id', 'key_id', 'key_name', 'plugin', 'operation', 'transport', 'engine', 'outcome', 'input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens', 'cost_usd', 'duration_ms', 'job_id', 'session_id'] as const;

function values({ at, entry: e }: PendingRow): SqlValue[] {
  return [
    at, e.requestId, e.keyId ?? (e.key === 'anonymous' ? 'anonymous' : `file:${e.key}`), e.key, e.plugin, e.operation, e.transport, e.engine ?? null, e.outcome,
    e.inputTokens, e.outputTokens, e.cacheReadInputTokens ?? 0, e.cacheCreationInputTokens ?? 0, e.costUsd, e.durationMs, e.jobId ?? null, e.sessionId ?? null,
  ];
}

/**
 * The usage ledger's writer: one row per audit line (every call, cache hits, failures,
 * cancelled calls and refusals alike, at its settled spend), appended off the request path.
 * {@link append} only queues; every `flushMs` the queue goes to the database in multi-row
 * INSERTs. A failed write keeps the rows and retries on the next tick (up to `maxBacklog`
 * rows; beyond that the newest are dropped and counted), and {@link close} writes what is
 * left, so a clean shutdown loses no row.
 */
export class LedgerWriter {
  private readonly queue: PendingRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private failing = false;
  private readonly batchSize: number;
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly options: LedgerWriterOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? (() => new Date());
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  /** Queues the row of one audit line. Never throws, never waits. */
  append(entry: AuditEntry): void {
    if (this.queue.length >= this.options.maxBacklog) {
      this.options.events?.dropped?.(1);
      return;
    }
    this.queue.push({ at: this.now(), entry });
    if (this.closed) void this.flush();
  }

  /** Whether the last write failed (rows are kept and retried). */
  get failingNow(): boolean {
    return this.failing;
  }

  /** Rows queued and not yet written. */
  get backlog(): number {
    return this.queue.length;
  }

  /** Seconds the oldest unwritten row has waited (0 when none waits): the ledger's write lag. */
  lagSeconds(): number {
    const oldest = this.queue[0];
    return oldest ? Math.max(0, (this.now().getTime() - oldest.at.getTime()) / 1000) : 0;
  }

  /** Writes every queued row now (one flush at a time; a second call waits for the first, then writes what came since). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.queue.length === 0) return;
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  private async write(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      const params = batch.flatMap(values);
      const rows = batch.map((_, i) => `(${COLUMNS.map((_c, j) => `$${i * COLUMNS.length + j + 1}`).join(', ')})`);
      try {
        await this.db.query(`INSERT INTO ccp_ledger (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`, params);
      } catch (err) {
        if (!this.failing) this.options.logger?.error({ err, backlog: this.queue.length }, 'usage ledger rows could not be written; they are kept and retried');
        this.failing = true;
        this.options.events?.failed?.(err);
        return;
      }
      this.queue.splice(0, batch.length);
      if (this.failing) this.options.logger?.info({}, 'usage ledger rows are written again');
      this.failing = false;
      this.options.events?.written?.(batch.length);
    }
  }

  /** Stops the timer and writes what is queued (a row appended meanwhile is written too). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    if (this.queue.length > 0) {
      this.options.logger?.error({ rows: this.queue.length }, 'usage ledger rows could not be written before shutdown');
      this.options.events?.dropped?.(this.queue.length);
    }
  }
}
