import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Metrics } from '../../../metrics/metrics';

/** Resident set sizes (bytes) of the live processes whose working directory is under `root` (Linux /proc). */
export async function residentSetsUnder(root: string): Promise<number[]> {
  const sizes: number[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return sizes; // not Linux
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cwd = await readlink(`/proc/${pid}/cwd`);
      if (cwd !== root && !cwd.startsWith(root + '/')) continue;
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
      if (kb) sizes.push(Number(kb) * 1024);
    } catch {
      // gone, or not ours to read
    }
  }
  return sizes;
}

/**
 * Samples the memory of the running `claude` processes every `intervalMs` and exports it
 * (`ccp_claude_process_rss_bytes{stat=max|mean|sum}`): the measured footprint that
 * `admission.processMemoryMb` should match.
 */
export class RssSampler {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;

  constructor(
    private readonly root: string,
    private readonly metrics: Metrics,
    intervalMs = 5_000,
  ) {
    this.timer = setInterval(() => void this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Takes one sample now (one at a time). */
  sample(): Promise<void> {
    this.running ??= (async () => {
      const sizes = await residentSetsUnder(this.root);
      const sum = sizes.reduce((a, b) => a + b, 0);
      this.metrics.processRss.set({ stat: 'max' }, sizes.length ? Math.max(...sizes) : 0);
      this.metrics.processRss.set({ stat: 'mean' }, sizes.length ? sum / sizes.length : 0);
      this.metrics.processRss.set({ stat: 'sum' }, sum);
    })().finally(() => (this.running = undefined));
    return this.running;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
