import { EXEC_TOOLS, type Logger } from '@ccp/plugin-api';
import type { PoolSettings } from './pool-settings';
import type { Metrics } from '../../../metrics/metrics';
import { shuttingDownError, type ClaudeRequest } from '../../types';
import type { ProcessLauncher } from '../process/launcher';
import { LiveQuery, liveKeyOf } from './live-query';
import { SparePool, type Spare } from './spare-pool';

/** How long `/clear` may take before the process is given up. */
const CLEAR_TIMEOUT_MS = 10_000;
/** How long a call waits for its caller's process being cleared before it looks elsewhere. */
const CLEARING_WAIT_MS = 1_000;

export type { PoolSettings } from './pool-settings';

export interface LivePoolDeps {
  readonly launcher: ProcessLauncher;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The warm pool. A stateless call leases a live `claude` process bound to its plugin
 * operation and its caller: an idle one left by that caller's earlier call (no spawn, no
 * start-up: tens of milliseconds), else a parked spare claimed for it, else a new one
 * started on the request path. After the call the process is cleared (`/clear`: a new
 * conversation) and its folder emptied, then it waits for the same caller's next call of
 * the same operation; it never serves another caller. A failed, aborted or timed-out call
 * ends its process. Spares, idle and busy processes together stay within `maxProcesses`;
 * when full, an idle process or spare of someone else is ended to make room, and failing
 * that the call runs in a one-off process outside the pool.
 */
export class LivePool {
  private readonly idle = new Map<string, LiveQuery[]>();
  private readonly busy = new Set<LiveQuery>();
  /** Releases under way (clearing or ending); clean ones by the key of their process. */
  private readonly releasing = new Map<Promise<void>, string | undefined>();
  private starting = 0;
  private closed = false;
  private readonly spares: SparePool;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly settings: PoolSettings,
    private readonly deps: LivePoolDeps,
  ) {
    this.spares = new SparePool(settings, { launcher: deps.launcher, logger: deps.logger, metrics: deps.metrics, others: () => this.live + this.starting, reclaim: () => this.endLeastRecentlyUsed() });
    this.sweeper = setInterval(() => this.sweep(), Math.max(1000, Math.min(settings.maxIdleMs, 30_000)));
    this.sweeper.unref();
  }

  /** True once `close()` was called: processes are ended rather than parked. */
  get closing(): boolean {
    return this.closed;
  }

  private get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  /** Live processes, idle or busy. */
  private get live(): number {
    return this.idleCount + this.busy.size;
  }

  private observe(): void {
    this.deps.metrics.poolProcesses.set({ state: 'idle' }, this.idleCount);
    this.deps.metrics.poolProcesses.set({ state: 'busy' }, this.busy.size + this.starting);
  }

  /**
   * A live process for this call, with the call's files in its folder; undefined for a
   * session turn, an operation that may run programs, a plugin with defined tools (their
   * in-process server is bound to one call's workspace and signal, and a spare fixes its
   * MCP servers at prewarm), or when the pool is full (the caller then runs a one-off
   * query). Throws `shutting_down` once the pool is closing.
   */
  async lease(request: ClaudeRequest): Promise<LiveQuery | undefined> {
    if (request.session || request.caller === undefined || request.tools.allow.some((t) => EXEC_TOOLS.includes(t)) || (request.tools.define?.length ?? 0) > 0) return undefined;
    if (this.closed) throw shuttingDownError();
    const key = liveKeyOf(request);
    let reused = this.takeIdle(key);
    if (!reused) {
      // A process of this caller and operation being cleared is ready in tens of
      // milliseconds: cheaper to wait for it than to claim a spare or start a process.
      const clearing = [...this.releasing].filter(([, k]) => k === key).map(([p]) => p);
      if (clearing.length > 0) {
        await Promise.race([...clearing, new Promise((r) => setTimeout(r, CLEARING_WAIT_MS).unref())]);
        if (this.closed) throw shuttingDownError();
        reused = this.takeIdle(key);
      }
    }
    if (reused) return this.hand(reused, request, 'reused', () => reused.workspace.reset(request.files, this.deps.launcher.checkoutOf(request)));
    this.starting++;
    try {
      const spare = this.spares.take(request);
      if (!spare && !(await this.makeRoom(request))) {
        this.deps.metrics.poolLeases.inc({ plugin: request.pluginId, result: 'full' });
        return undefined;
      }
      const live = await this.start(request, key, spare);
      if (!live) return undefined;
      if (this.closed) {
        await live.discard();
        throw shuttingDownError();
      }
      return this.hand(live, request, spare ? 'spare' : 'cold');
    } finally {
      this.starting--;
      this.observe();
    }
  }

  /**
   * A new live process for `key`: the claimed spare, or a new `claude`. Undefined (and
   * nothing left behind) when it cannot be built; the call then runs one-off.
   */
  private async start(request: ClaudeRequest, key: string, spare: Spare | undefined): Promise<LiveQuery | undefined> {
    try {
      if (!spare) return await this.deps.launcher.live(request, key);
      const live = await this.deps.launcher.claim(spare, request, key);
      spare.sdk.claimed.catch((err: unknown) => this.deps.logger.warn({ requestId: request.requestId, err: String(err) }, 'a warm spare refused its claim'));
      return live;
    } catch (err) {
      this.deps.logger.warn({ requestId: request.requestId, err: String(err) }, 'could not start a pool process; running the call one-off');
      await spare?.discard().catch(() => undefined);
      return undefined;
    }
  }

  private takeIdle(key: string): LiveQuery | undefined {
    const list = this.idle.get(key) ?? [];
    let live: LiveQuery | undefined;
    while ((live = list.pop())) {
      if (live.alive) break;
      void this.drop(live);
    }
    if (list.length === 0) this.idle.delete(key);
    return live;
  }

  private async hand(live: LiveQuery, request: ClaudeRequest, result: 'reused' | 'spare' | 'cold', prepare?: () => Promise<void>): Promise<LiveQuery> {
    this.busy.add(live);
    this.observe();
    this.deps.metrics.poolLeases.inc({ plugin: request.pluginId, result });
    try {
      await prepare?.();
    } catch (err) {
      await this.drop(live);
      throw err;
    }
    return live;
  }

  /**
   * Room for one more process: ends an idle process (least recently used first) or someone
   * else's spare, and resolves once it has exited, so the processes alive never exceed
   * `maxProcesses` even for the moment an ended one takes to go; false when none can go.
   */
  private async makeRoom(request: ClaudeRequest): Promise<boolean> {
    if (this.live + this.starting + this.spares.size <= this.settings.maxProcesses) return true;
    const exited = this.endLeastRecentlyUsed() ?? this.spares.evictOne(request);
    if (!exited) return false;
    await exited;
    return true;
  }

  /** Ends the idle process unused the longest: its exit, or undefined when none is idle. */
  private endLeastRecentlyUsed(): Promise<void> | undefined {
    let oldest: LiveQuery | undefined;
    for (const list of this.idle.values()) for (const l of list) if (!oldest || l.lastUsedAt < oldest.lastUsedAt) oldest = l;
    if (!oldest) return undefined;
    const list = this.idle.get(oldest.key) ?? [];
    list.splice(list.indexOf(oldest), 1);
    if (list.length === 0) this.idle.delete(oldest.key);
    const exited = oldest.discard().catch(() => undefined);
    this.observe();
    return exited;
  }

  /**
   * Takes a process back after a call. `clean` means the call ended with a result and
   * nothing was aborted: the process is then cleared and parked for the same caller;
   * otherwise, or when clearing fails, it is ended. Returns at once; the clearing runs on.
   */
  release(live: LiveQuery, clean: boolean): Promise<void> {
    live.calls++;
    live.lastUsedAt = Date.now();
    const parks = clean && !this.closed && live.alive && live.calls < this.settings.maxCallsPerProcess;
    const done = (async () => {
      if (!parks) return this.drop(live);
      try {
        await live.workspace.reset([]);
        const cleared = await Promise.race([live.clear(), new Promise<boolean>((r) => setTimeout(() => r(false), CLEAR_TIMEOUT_MS).unref())]);
        if (!cleared) throw new Error('the process did not confirm /clear');
      } catch (err) {
        this.deps.logger.warn({ err: String(err) }, 'a live claude process could not be cleared; ending it');
        return this.drop(live);
      }
      if (this.closed || !live.alive) return this.drop(live);
      this.busy.delete(live);
      this.idle.set(live.key, [...(this.idle.get(live.key) ?? []), live]);
      this.observe();
    })();
    const settled = done.catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'could not release a pool process'));
    // Only a release that parks the process is worth waiting for (see lease()).
    this.releasing.set(settled, parks ? live.key : undefined);
    void settled.finally(() => this.releasing.delete(settled));
    return settled;
  }

  private async drop(live: LiveQuery): Promise<void> {
    this.busy.delete(live);
    this.observe();
    await live.discard();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, list] of this.idle) {
      const keep = list.filter((l) => l.alive && now - l.lastUsedAt < this.settings.maxIdleMs);
      for (const l of list) if (!keep.includes(l)) void l.discard();
      if (keep.length > 0) this.idle.set(key, keep);
      else this.idle.delete(key);
    }
    this.observe();
  }

  /** Ends every process the pool holds (on shutdown, and when a reload replaces the runtime). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const idle = [...this.idle.values()].flat();
    this.idle.clear();
    await Promise.all([this.spares.close(), ...idle.map((l) => l.discard()), ...this.releasing.keys()]);
    this.observe();
  }
}
