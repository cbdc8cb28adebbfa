import type { JobEvent } from './api-client';

/**
 * Shows a job's progress on stderr: on a terminal one line rewritten in place (turns, tools,
 * elapsed time); otherwise (a CI log) a plain line per step, so the log reads in order.
 */
export class Progress {
  private turns = 0;
  private tools = 0;
  private readonly started = Date.now();
  private lastLine = '';

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
    private readonly quiet = false,
  ) {}

  private elapsed(): string {
    return `${Math.round((Date.now() - this.started) / 1000)} s`;
  }

  private write(line: string): void {
    if (this.quiet) return;
    if (this.out.isTTY) {
      this.out.write(`\r\u001b[2K${line}`);
      this.lastLine = line;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** A plain message (on a terminal, below the progress line). */
  note(text: string): void {
    if (this.quiet) return;
    if (this.out.isTTY && this.lastLine) this.out.write('\n');
    this.lastLine = '';
    this.out.write(`${text}\n`);
  }

  /** The job's own count of API turns so far (from GET /v1/jobs/{id}). */
  turnsSoFar(turns: number): void {
    if (turns <= this.turns) return;
    this.turns = turns;
    this.write(this.out.isTTY ? `ccp: turns ${this.turns} · tools ${this.tools} · ${this.elapsed()}` : `ccp: turn ${this.turns} (${this.elapsed()})`);
  }

  see(event: JobEvent): void {
    const data = (event.data ?? {}) as Record<string, unknown>;
    if (event.type === 'start') this.write(`ccp: review started (${this.elapsed()})`);
    if (event.type === 'tool') {
      this.tools += 1;
      const name = typeof data.name === 'string' ? data.name : 'tool';
      const summary = typeof data.summary === 'string' ? ` ${data.summary}` : '';
      this.write(this.out.isTTY ? `ccp: turns ${this.turns} · tools ${this.tools} · ${this.elapsed()} · ${name}` : `ccp: tool ${name}${summary} (${this.elapsed()})`);
    }

    if (event.type === 'result' || event.type === 'error') {
      this.write(`ccp: review ${event.type === 'result' ? 'finished' : 'failed'} after ${this.elapsed()} (${this.tools} tool calls)`);
      if (this.out.isTTY) this.out.write('\n');
    }
  }
}
