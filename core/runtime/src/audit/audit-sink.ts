import { EventEmitter } from 'node:events';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { within } from '../lifecycle/within';

/** An open file the sink appends to. */
export interface SinkFile {
  /** Writes some or all of `data`; resolves with the number of bytes written. */
  write(data: Buffer): Promise<number>;
  close(): Promise<void>;
}

/** Opens (creating it and its directory when missing) a file for appending. */
export type OpenSinkFile = (path: string) => Promise<SinkFile>;

/** The real file system: `mkdir -p` the directory, then open with `O_APPEND`. */
export const openForAppend: OpenSinkFile = async (path) => {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a', 0o640);
  return {
    write: async (data) => (await handle.write(data)).bytesWritten,
    close: () => handle.close(),
  };
};

/** Options of a {@link FileAuditSink}; the defaults suit production. */
export interface FileAuditSinkOptions {
  readonly path: string;
  /** Bytes waiting to be written at most; a line that does not fit is dropped and counted. */
  readonly maxBacklogBytes?: number;
  /** First retry after a failed write; doubled on each further failure up to `retryMaxMs`. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /** How long `close()` may spend writing what is queued and closing the file. */
  readonly closeTimeoutMs?: number;
  /** Replaces the file system (unit tests). */
  readonly openFile?: OpenSinkFile;
}

/** What a sink reports about itself. */
export interface AuditSinkHealth {
  /**
   * `failing` from a failed write (or a dropped line) until everything queued since has been
   * written: the sink is healthy again only once it has caught up.
   */
  readonly failing: boolean;
  /** Bytes accepted but not yet written. */
  readonly backlogBytes: number;
  /** Lines lost since start: they arrived while the backlog was full, or after close(). */
  readonly droppedLines: number;
  /** Write (or open) attempts that failed since start. */
  readonly failedWrites: number;
  /** The last failure, as `CODE: message` (while failing). */
  readonly lastError?: string;
  /** When the current failure began (ISO 8601; while failing). */
  readonly failingSince?: string;
}

/** Events of a {@link FileAuditSink}. No `error` event: a failing sink never throws at anyone. */
export interface AuditSinkEvents {
  /** A write or open attempt failed (each attempt, including retries). */
  'write-failed': [err: Error];
  /** Lines were dropped (`count` of them). */
  dropped: [count: number];
  /** The sink was failing and has now written everything queued. */
  recovered: [];
  /** Nothing is queued and no write is in flight. */
  idle: [];
}

const describeError = (err: unknown): string => {
  const e = err as NodeJS.ErrnoException;
  return e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
};

/**
 * Appends audit lines to a file without ever holding up a caller or the event loop.
 * `write()` only queues: one asynchronous writer drains the queue. A full disk, a
 * read-only mount or a file that cannot be opened makes writes fail; the sink then keeps
 * what it has queued (up to `maxBacklogBytes`, dropping and counting lines beyond that),
 * retries with a growing delay on an unref'd timer, and reports `failing` until it has
 * written everything queued. `close()` is bounded in time, so shutdown never waits on a
 * disk that does not answer.
 *
 * It is a pino destination (`{ write(line) }`) and has no `flushSync`: nothing can make
 * it write synchronously, which is what froze the process on a full disk.
 */
export class FileAuditSink extends EventEmitter<AuditSinkEvents> {
  private readonly maxBacklogBytes: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly closeTimeoutMs: number;
  private readonly openFile: OpenSinkFile;

  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private file: SinkFile | undefined;
  private pumping: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs: number;
  private closed = false;
  private closing: Promise<void> | undefined;

  private failingSince: Date | undefined;
  private lastError: string | undefined;
  private failedWrites = 0;
  private droppedLines = 0;

  constructor(readonly options: FileAuditSinkOptions) {
    super();
    this.maxBacklogBytes = options.maxBacklogBytes ?? 4 * 1024 * 1024;
    this.retryMinMs = options.retryMinMs ?? 500;
    this.retryMaxMs = options.retryMaxMs ?? 30_000;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
    this.openFile = options.openFile ?? openForAppend;
    this.retryDelayMs = this.retryMinMs;
  }

  /** Queues one line (pino calls this once per line). Never throws, never waits. */
  write(line: string | Buffer): boolean {
    const data = typeof line === 'string' ? Buffer.from(line, 'utf8') : line;
    if (this.closed || this.queuedBytes + data.length > this.maxBacklogBytes) {
      this.drop(1, this.closed ? 'the sink is closed' : 'the backlog is full: lines arrive faster than the file takes them');
      return false;
    }
    this.queue.push(data);
    this.queuedBytes += data.length;
    this.kick();
    return true;
  }

  health(): AuditSinkHealth {
    return {
      failing: this.failingSince !== undefined,
      backlogBytes: this.queuedBytes,
      droppedLines: this.droppedLines,
      failedWrites: this.failedWrites,
      ...(this.failingSince ? { lastError: this.lastError, failingSince: this.failingSince.toISOString() } : {}),
    };
  }

  /**
   * Stops taking lines, makes one last attempt to write what is queued, and closes the
   * file; resolves within about `closeTimeoutMs` whatever the disk does. Lines still
   * queued then are counted as dropped.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      const deadline = Date.now() + this.closeTimeoutMs;
      if (this.queue.length > 0) this.kick(true);
      if (this.pumping) await within(this.pumping, this.closeTimeoutMs);
      const left = this.queue.length;
      if (left > 0) {
        this.queue.length = 0;
        this.queuedBytes = 0;
        this.drop(left, 'still queued when the sink closed');
      }
      if (this.file) await within(this.file.close(), Math.max(deadline - Date.now(), 100));
      this.file = undefined;
    })();
    return this.closing;
  }

  /** Starts the writer unless it runs already or waits for its retry (`force`: do not wait). */
  private kick(force = false): void {
    if (this.pumping || (this.retryTimer && !force)) return;
    if (this.closed && !force) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  private async pump(): Promise<void> {
    try {
      this.file ??= await this.openFile(this.options.path);
      while (this.queue.length > 0) {
        const batch = this.queue.length === 1 ? (this.queue[0] as Buffer) : Buffer.concat(this.queue.slice(0, 256));
        const written = await this.file.write(batch);
        if (written <= 0) throw new Error(`the file took 0 of ${batch.length} bytes`);
        this.consume(written);
      }
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    if (this.failingSince) {
      this.failingSince = undefined;
      this.lastError = undefined;
      this.retryDelayMs = this.retryMinMs;
      this.emit('recovered');
    }
    this.emit('idle');
  }

  /** Removes `n` written bytes from the front of the queue (a short write leaves the rest). */
  private consume(n: number): void {
    this.queuedBytes -= n;
    while (n > 0) {
      const head = this.queue[0] as Buffer;
      if (head.length <= n) {
        n -= head.length;
        this.queue.shift();
      } else {
        this.queue[0] = head.subarray(n);
        n = 0;
      }
    }
  }

  private fail(err: Error): void {
    // Reopen on the next attempt: a file on a mount that went away will not come back.
    const file = this.file;
    this.file = undefined;
    if (file) void file.close().catch(() => undefined);
    this.failedWrites++;
    this.lastError = describeError(err);
    this.failingSince ??= new Date();
    this.emit('write-failed', err);
    if (this.closed) return;
    // What is queued stays queued (it is retried); the timer must not keep the process alive.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, this.retryDelayMs);
    this.retryTimer.unref();
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
  }

  private drop(count: number, reason: string): void {
    this.droppedLines += count;
    this.failingSince ??= new Date();
    this.lastError ??= reason;
    this.emit('dropped', count);
  }
}
