import type { Logger } from '@ccp/plugin-api';
import type { PoolSettings } from './pool-settings';
import type { Metrics } from '../../../metrics/metrics';
import type { ClaudeRequest } from '../../types';
import type { ProcessLauncher, Spare } from '../process/launcher';

export type { Spare } from '../process/launcher';

interface Entry {
  readonly spare: Spare;
  readonly bornAt: number;
}

/** What a spare is fixed to: everything of a query but its prompt, files and workspace. */
const keyOf = (r: ClaudeRequest) => `${r.pluginId}\u0000${r.operation}\u0000${r.model ?? ''}`;

/**
 * Warm `claude` processes, parked per plugin operation (the SDK fixes the system prompt,
 * tools, output schema, permission callback and environment at prewarm), each claimed once
 * (it then lives on as a `LiveQuery`) and replaced in the background. The first call of an
 * operation after start teaches the pool its shape. Spares plus `others()` (the live
 * processes) never exceed `maxProcesses`; a spare older than `maxIdleMs`, or whose process
 * died, is replaced.
 */
export class SparePool {
  private readonly ready = new Map<string, Entry[]>();
  private readonly templates = new Map<string, ClaudeRequest>();
  private readonly warming = new Map<string, number>();
  /** Prewarms under way, so close() can wait for them (a spare still starting must not outlive it). */
  private readonly starting = new Set<Promise<void>>();
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly settings: PoolSettings,
    private readonly deps: {
      launcher: ProcessLauncher;
      logger: Logger;
      metrics: Metrics;
      /** Other pool processes that count toward `maxProcesses`. */
      others: () => number;
      /** Ends one idle process to make room for a spare: its exit, or undefined when there is none. */
      reclaim: () => Promise<void> | undefined;
    },
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(settings.maxIdleMs, 30_000)));
    this.sweeper.unref();
  }

  private get parked(): number {
    let n = 0;
    for (const list of this.ready.values()) n += list.length;
    return n;
  }

  /** Spares parked or starting. */
  get size(): number {
    return this.parked + [...this.warming.values()].reduce((a, b) => a + b, 0);
  }

  private observe(): void {
    this.deps.metrics.poolProcesses.set({ state: 'spare' }, this.parked);
    this.deps.metrics.poolProcesses.set({ state: 'warming' }, [...this.warming.values()].reduce((a, b) => a + b, 0));
  }

  /** Ends the oldest parked spare of another operation, to make room: its exit, or undefined when there is none. */
  evictOne(except: ClaudeRequest): Promise<void> | undefined {
    const keep = keyOf(except);
    let oldest: { key: string; entry: Entry } | undefined;
    for (const [key, list] of this.ready) {
      if (key !== keep && list[0] && (!oldest || list[0].bornAt < oldest.entry.bornAt)) oldest = { key, entry: list[0] };
    }
    if (!oldest) return undefined;
    this.ready.get(oldest.key)?.shift();
    const exited = oldest.entry.spare.discard().catch(() => undefined);
    this.observe();
    return exited;
  }

  /** A ready spare for this request's operation, or undefined. Also starts its replacement. */
  take(request: ClaudeRequest): Spare | undefined {
    if (request.session) return undefined;
    const key = keyOf(request);
    if (!this.templates.has(key)) this.templates.set(key, { ...request, caller: undefined, signal: undefined, files: [], tree: undefined, prompt: '' });
    const list = this.ready.get(key) ?? [];
    let entry: Entry | undefined;
    while ((entry = list.shift())) {
      if (entry.spare.process.alive) break;
      void entry.spare.discard(); // died while parked
    }
    this.ready.set(key, list);
    // A claimed spare's replacement may end an idle process to keep spares ready; other
    // refills (the first call of an operation, a dead or expired spare) use free room only.
    this.fill(key, entry !== undefined);
    this.observe();
    return entry?.spare;
  }

  /** Starts spares for `key` until it has its share, within the process cap. */
  private fill(key: string, mayReclaim: boolean): void {
    const template = this.templates.get(key);
    if (!template || this.closed) return;
    const have = (this.ready.get(key)?.length ?? 0) + (this.warming.get(key) ?? 0);
    // Room now, or once the idle process ended to make it has exited (never one over the cap).
    const room = (): true | Promise<void> | undefined => (this.size + this.deps.others() < this.settings.maxProcesses ? true : mayReclaim ? this.deps.reclaim() : undefined);
    for (let i = have; i < this.settings.sparesPerOperation; i++) {
      const ready = room();
      if (!ready) break;
      this.warming.set(key, (this.warming.get(key) ?? 0) + 1);
      const started: Promise<void> = (ready === true ? this.deps.launcher.spare(template) : ready.then(() => this.deps.launcher.spare(template)))
        .then((spare) => {
          // Closing waits for this chain: the spare is gone before close() resolves.
          if (this.closed) return spare.discard();
          this.ready.set(key, [...(this.ready.get(key) ?? []), { spare, bornAt: Date.now() }]);
        })
        .catch((err: unknown) => this.deps.logger.warn({ err: String(err), plugin: template.pluginId }, 'could not prewarm a spare'))
        .finally(() => {
          this.warming.set(key, (this.warming.get(key) ?? 1) - 1);
          this.starting.delete(started);
          this.observe();
        });
      this.starting.add(started);
    }
    this.observe();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, list] of this.ready) {
      const keep = list.filter((e) => e.spare.process.alive && now - e.bornAt < this.settings.maxIdleMs);
      for (const e of list) if (!keep.includes(e)) void e.spare.discard();
      this.ready.set(key, keep);
      if (keep.length < list.length) this.fill(key, false);
    }
    this.observe();
  }

  /**
   * Ends every parked spare and waits for those still starting (each is ended as soon as
   * its prewarm settles), so no spare or workspace outlives it.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.ready.values()].flat();
    this.ready.clear();
    await Promise.all([...all.map((e) => e.spare.discard()), ...this.starting]);
    this.observe();
  }
}
