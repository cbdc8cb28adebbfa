// Memory and CPU of a whole process tree (a server and every `claude` it started), read
// from /proc. Linux only. Used by the real-latency section of scripts/bench.js.
'use strict';
const { execSync } = require('node:child_process');
const { readdirSync, readFileSync } = require('node:fs');

const TICKS = (() => {
  try {
    return Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** pid, ppid, name and CPU ticks (own, and of reaped children) from /proc/<pid>/stat. */
function stat(pid) {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = raw.lastIndexOf(')');
    const name = raw.slice(raw.indexOf('(') + 1, close);
    const f = raw.slice(close + 2).split(' '); // f[0] is field 3 (state)
    return { pid, name, ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function rss(pid) {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** The processes of the tree under `root` (itself included), from one pass over /proc. */
function treeOf(root) {
  const all = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).map((e) => stat(Number(e))).filter(Boolean);
  const children = new Map();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const rootStat = all.find((p) => p.pid === root);
  if (!rootStat) return [];
  const out = [rootStat];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}

/**
 * One reading of the tree: summed RSS, the RSS of each `claude` process, and CPU seconds.
 * CPU counts each live process's own time plus the time of children it already reaped, so
 * a `claude` that ended during a round still counts (in its parent's share).
 */
function snapshot(root) {
  const procs = treeOf(root).map((p) => ({ ...p, rss: rss(p.pid) }));
  return {
    at: Date.now(),
    processes: procs.length,
    rss: procs.reduce((s, p) => s + p.rss, 0),
    claudeRss: procs.filter((p) => p.name === 'claude').map((p) => p.rss),
    // everything else in the tree by name (the server itself, tools a claude ran such as rg)
    others: procs.filter((p) => p.name !== 'claude').map((p) => ({ name: p.name, rss: p.rss })),
    cpuSeconds: procs.reduce((s, p) => s + p.ticks, 0) / TICKS,
  };
}

/**
 * Samples the tree under `root` every `intervalMs` until stopped. `mark()` takes a reading at
 * once and returns it; `between(a, b)` sums up the readings from mark a to mark b.
 */
function sampleTree(root, intervalMs = 200) {
  const samples = [];
  const take = () => {
    const s = snapshot(root);
    samples.push(s);
    return s;
  };
  const timer = setInterval(take, intervalMs);
  timer.unref();
  return {
    mark: take,
    stop: () => clearInterval(timer),
    between(from, to) {
      const inside = samples.filter((s) => s.at >= from.at && s.at <= to.at);
      const peak = inside.reduce((a, b) => (b.rss > a.rss ? b : a), from);
      return {
        peakRss: peak.rss,
        peakProcesses: Math.max(...inside.map((s) => s.processes)),
        claudeAtPeak: peak.claudeRss,
        othersAtPeak: peak.others ?? [],
        // every reading of every claude process in the window: their median is "one process"
        claudeRss: inside.flatMap((s) => s.claudeRss),
        cpuSeconds: to.cpuSeconds - from.cpuSeconds,
      };
    },
  };
}

module.exports = { sampleTree, snapshot, treeOf };
