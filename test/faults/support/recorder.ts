import { join, relative } from 'node:path';
import { appendRow } from './table';

/** The first lines of a failure, without colours: what the table shows. */
export function gist(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (
    text
      // eslint-disable-next-line no-control-regex
      .replace(/\u001b\[[0-9;]*m/g, '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .slice(0, 6)
      .join(' / ')
      .slice(0, 300) || 'failed'
  );
}

const unsaved = new Set<Recorder>();

/** Saves the row of every probe of this file that did not finish (its test threw or timed out); call from afterAll. */
export function saveUnfinishedProbes(): void {
  for (const r of [...unsaved]) r.save(['the probe did not finish (its test threw or timed out first)']);
}

/**
 * One row of the table: the tries of a probe and why each that did not hold did not.
 * {@link done} saves the row and fails the test if any try did not hold.
 */
export class Recorder {
  private readonly tries: { label: string; why: string[] }[] = [];
  private saved = false;
  private readonly startedAt = Date.now();

  constructor(
    readonly name: string,
    /** What each try is, for the table. */
    readonly triesAre: string,
    /** Called once the row is saved (a probe stops polling its server). */
    private readonly onSave: () => void = () => undefined,
  ) {
    unsaved.add(this);
  }

  /** Records one try; it held when `why` is empty. */
  add(label: string, why: readonly string[]): boolean {
    // A failure named like its try says the name once.
    this.tries.push({ label, why: why.map((w) => (w.startsWith(`${label}: `) ? w.slice(label.length + 2) : w)) });
    return why.length === 0;
  }

  /** Runs `fn` as one try: it held when `fn` returns. */
  async run(label: string, fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn();
      return this.add(label, []);
    } catch (err) {
      return this.add(label, [gist(err)]);
    }
  }

  /** Appends the row (once); `extra` adds reasons no try recorded (as one more try that did not hold). */
  save(extra: readonly string[] = []): void {
    if (this.saved) return;
    this.saved = true;
    unsaved.delete(this);
    this.onSave();
    const file = relative(join(__dirname, '..'), expect.getState().testPath ?? '');
    const notHeld = [...this.tries.filter((t) => t.why.length > 0).map((t) => `${t.label}: ${t.why.join(' | ')}`), ...extra];
    const tried = this.tries.length + (extra.length > 0 ? 1 : 0);
    appendRow({ file, probe: this.name, tries: this.triesAre, tried, held: this.tries.filter((t) => t.why.length === 0).length, notHeld, ms: Date.now() - this.startedAt });
  }

  /** Saves the row; throws, failing the test, if any try did not hold. */
  done(): void {
    this.save();
    const failed = this.tries.filter((t) => t.why.length > 0);
    if (failed.length > 0) throw new Error(`${this.name}: ${failed.length} of ${this.tries.length} tries did not hold:\n${failed.map((t) => `- ${t.label}: ${t.why.join(' | ')}`).join('\n')}`);
  }
}
