import { Writable } from 'node:stream';

/** A log destination that keeps every JSON line, for tests that read audit and log lines. */
export class LogCapture extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim()) this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }

  /** The audit lines of calls (`msg: invocation`). */
  get audit(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.audit === true && l.msg === 'invocation');
  }
}
