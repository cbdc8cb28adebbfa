import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { processesUnder } from '@ccp/testing';

// The processes a server process started, found the way an operator would: its process
// tree in /proc (Linux only), not anything the server reports about itself.

/** The parent pid of each live process. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      out.set(Number(entry), ppid);
    } catch {
      // it ended meanwhile
    }
  }
  return out;
}

/** Every live descendant of `pid`. */
export function descendants(pid: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [child, parent] of parents()) byParent.set(parent, [...(byParent.get(parent) ?? []), child]);
  const out: number[] = [];
  const todo = [...(byParent.get(pid) ?? [])];
  while (todo.length > 0) {
    const next = todo.shift() as number;
    out.push(next);
    todo.push(...(byParent.get(next) ?? []));
  }
  return out;
}

function argv0(pid: number): string {
  try {
    return basename(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? '');
  } catch {
    return '';
  }
}

/** The `claude` processes in the server's process tree (not a zombie: one that exited but was not reaped yet is gone). */
export function claudeProcesses(serverPid: number): number[] {
  return descendants(serverPid).filter((pid) => argv0(pid) === 'claude' && !isZombie(pid));
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** What is left under a workspace root: processes whose cwd is there (orphans too), and folders. */
export function leftUnder(workspaceRoot: string): { processes: number[]; folders: string[] } {
  return { processes: processesUnder(workspaceRoot), folders: existsSync(workspaceRoot) ? readdirSync(workspaceRoot) : [] };
}

/** Processes the warm pool says it keeps (`ccp_pool_processes`, every state), from a /metrics text. */
export function poolAccounted(metrics: string): number {
  return [...metrics.matchAll(/^ccp_pool_processes\{state="[a-z]+"\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The `claude` process of the server's whose working directory holds `fileName` now: the one running the call that brought it. */
export function claudeHolding(serverPid: number, fileName: string): number | undefined {
  return claudeProcesses(serverPid).find((pid) => {
    try {
      return existsSync(join(readlinkSync(`/proc/${pid}/cwd`), fileName));
    } catch {
      return false;
    }
  });
}
