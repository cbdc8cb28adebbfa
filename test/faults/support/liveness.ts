import { request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const cpus = availableParallelism();

/** The bound every probe holds the server to: `/health/live` answers 200 within this. */
export const LIVE_WITHIN_MS = 1000;

/** GET /health/live on a connection of its own (no keep-alive reuse); resolves with the ms it took, rejects past the bound. */
export function liveWithin(base: string, ms = LIVE_WITHIN_MS): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${base}/health/live`, { agent: false, timeout: ms }, (res) => {
      res.resume();
      res.on('end', () => {
        const took = Math.round(performance.now() - started);
        if (res.statusCode !== 200) reject(new Error(`/health/live answered ${res.statusCode}`));
        else if (took >= ms) reject(new Error(`/health/live took ${took} ms`));
        else resolve(took);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`/health/live did not answer within ${ms} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** One failed poll: when (Date.now()) and why. */
export interface LivenessFailure {
  readonly at: number;
  readonly reason: string;
}

/**
 * Polls /health/live every `intervalMs` for as long as a probe runs, each poll on a new
 * connection and bounded by {@link LIVE_WITHIN_MS}; a probe asks which polls failed in the
 * time one of its tries took.
 */
export class LivenessWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly failures: LivenessFailure[] = [];
  private inFlight = new Set<Promise<void>>();
  private polls = 0;
  /** This (the probing) process's own event-loop delay: a failure it explains is still a failure, but the reader should know. */
  private readonly lag = monitorEventLoopDelay({ resolution: 20 });
  worstMs = 0;

  /**
   * @param stoppingSince when the server was told to stop (SIGTERM) or exited, if it was:
   *   from then on a poll refused or reset is the documented shutdown closing its listener,
   *   not a failure (a poll that timed out still is one).
   */
  constructor(
    private readonly base: string,
    private readonly stoppingSince: () => number | undefined = () => undefined,
    intervalMs = 200,
  ) {
    this.lag.enable();
    this.poll();
    // Unref'd: a probe that failed before stop() must not keep jest from exiting.
    this.timer = setInterval(() => this.poll(), intervalMs).unref();
  }

  private poll(): void {
    const at = Date.now();
    const p = liveWithin(this.base).then(
      (ms) => {
        this.polls++;
        this.worstMs = Math.max(this.worstMs, ms);
      },
      (err: Error) => {
        this.polls++;
        const context = `machine load ${loadavg()[0]?.toFixed(1)} on ${cpus} CPUs; this probing process's event loop lagged up to ${Math.round(this.lag.max / 1e6)} ms`;
        this.lag.reset();
        this.failures.push({ at, reason: `${err.message} (${context})` });
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** Failures of polls sent from `from` to `to` (Date.now() values), waiting for the polls still out. */
  async failuresBetween(from: number, to: number): Promise<LivenessFailure[]> {
    this.poll();
    await Promise.all([...this.inFlight]);
    const stopping = this.stoppingSince();
    const byShutdown = (f: LivenessFailure) => stopping !== undefined && f.at >= stopping && !/within|took/.test(f.reason);
    return this.failures.filter((f) => f.at >= from && f.at <= to + LIVE_WITHIN_MS && !byShutdown(f));
  }

  /** How many polls have been answered or failed. */
  get count(): number {
    return this.polls;
  }

  stop(): void {
    clearInterval(this.timer);
    this.lag.disable();
  }
}
