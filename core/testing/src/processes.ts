import { readdirSync, readlinkSync } from 'node:fs';

/**
 * Pids of live processes whose working directory is inside `root`: the `claude`
 * children of queries whose workspaces live there. Linux only (reads /proc).
 */
export function processesUnder(root: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === root || cwd.startsWith(root + '/')) pids.push(Number(entry));
    } catch {
      // the process ended, or is not ours to read
    }
  }
  return pids;
}

/** Polls `check` until it returns true or `timeoutMs` passes; resolves with the last answer. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
