import { readdirSync, readFileSync } from 'node:fs';
import { startRedis, waitUntil, type TestRedis } from '@ccp/testing';

/** The pid of the redis-server listening on `port` (it names its address in its process title). */
function redisPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.startsWith('redis-server') && cmdline.includes(`:${port}`)) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A real redis-server (the test helper's) that a probe kills with SIGKILL, freezes with
 * SIGSTOP, thaws and starts again on the same port, as an outage or a stalled host would.
 */
export class ProbeRedis {
  private current: TestRedis | undefined;
  private pid: number | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<ProbeRedis> {
    const first = await startRedis();
    const r = new ProbeRedis(first.port);
    r.adopt(first);
    return r;
  }

  private adopt(redis: TestRedis): void {
    this.current = redis;
    this.pid = redisPid(redis.port);
    if (!this.pid) throw new Error(`no redis-server process found for port ${redis.port}`);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** SIGKILL: gone at once, nothing flushed, every connection reset. */
  async kill(): Promise<void> {
    const pid = this.pid;
    if (!pid) return;
    this.current = undefined;
    this.pid = undefined;
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
    if (!(await waitUntil(() => !alive(pid), 5000))) throw new Error(`redis-server ${pid} did not die`);
  }

  /** SIGSTOP: connections stay open, nothing answers. */
  freeze(): void {
    if (this.pid) process.kill(this.pid, 'SIGSTOP');
  }

  thaw(): void {
    if (this.pid) process.kill(this.pid, 'SIGCONT');
  }

  /** A fresh redis-server on the same port (empty: no persistence). */
  async restart(): Promise<void> {
    if (this.pid) await this.kill();
    this.adopt(await startRedis({ port: this.port }));
  }

  async stop(): Promise<void> {
    this.thaw();
    const redis = this.current;
    this.current = undefined;
    this.pid = undefined;
    await redis?.stop();
  }
}
