import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import type { PlatformConfig } from '../config/schema';

const MIB = 1024 * 1024;

/** What this instance can run, and what the figures were derived from. */
export interface Capacity {
  /** Calls in flight at once (waiting on the model is bounded by memory). */
  readonly inFlight: number;
  /** `claude` processes starting at once (starting is bounded by CPU). */
  readonly starting: number;
  /** Processes the warm pool may keep (spares, idle and busy). */
  readonly poolProcesses: number;
  /** Whether each figure came from config or was derived. */
  readonly derived: { readonly inFlight: boolean; readonly starting: boolean; readonly poolProcesses: boolean };
  readonly basis: { readonly cpus: number; readonly freeMemoryMb: number; readonly memoryReserveMb: number; readonly processMemoryMb: number };
}

/** What the host offers (injected in tests). */
export interface Host {
  readonly cpus: number;
  readonly freeMemoryBytes: number;
}

/**
 * Memory the cgroup (a container's memory limit) still allows, when there is a limit: in
 * a container, the host's free memory says nothing about what the pod may use.
 */
export function cgroupMemoryLeft(read: (path: string) => string = (p) => readFileSync(p, 'utf8')): number | undefined {
  const attempt = (limitFile: string, usageFile: string) => {
    try {
      const limit = read(limitFile).trim();
      if (limit === 'max' || !/^\d+$/.test(limit)) return undefined;
      const usage = Number(read(usageFile).trim());
      const left = Number(limit) - (Number.isFinite(usage) ? usage : 0);
      // cgroup v1 reports "no limit" as a huge number
      return Number(limit) > 2 ** 60 ? undefined : Math.max(0, left);
    } catch {
      return undefined;
    }
  };
  return attempt('/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory.current') ?? attempt('/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/memory/memory.usage_in_bytes');
}

/** This host: its CPUs, and the free memory it (or its container's limit) leaves. */
export const thisHost = (): Host => {
  const inCgroup = cgroupMemoryLeft();
  return { cpus: availableParallelism(), freeMemoryBytes: inCgroup === undefined ? freemem() : Math.min(freemem(), inCgroup) };
};

/**
 * Derives the instance's limits from the host: a call spends most of its life waiting on
 * the model, holding one `claude` process of `processMemoryMb`, so calls in flight are
 * bounded by memory, (free memory − reserve) / per-process memory; starting a process costs
 * about 1.8 CPU-seconds, so starts run one per core at a time; the warm pool may keep as many
 * processes as may be in flight. Every figure set in config wins over the derived one.
 */
export function deriveCapacity(config: Pick<PlatformConfig, 'admission' | 'pool'>, host: Host = thisHost()): Capacity {
  const { admission, pool } = config;
  const freeMemoryMb = Math.floor(host.freeMemoryBytes / MIB);
  const byMemory = Math.max(1, Math.floor((freeMemoryMb - admission.memoryReserveMb) / admission.processMemoryMb));
  const inFlight = admission.maxConcurrent ?? byMemory;
  return {
    inFlight,
    starting: admission.maxStarting ?? Math.max(1, host.cpus),
    poolProcesses: pool.maxProcesses ?? inFlight,
    derived: { inFlight: admission.maxConcurrent === undefined, starting: admission.maxStarting === undefined, poolProcesses: pool.maxProcesses === undefined },
    basis: { cpus: host.cpus, freeMemoryMb, memoryReserveMb: admission.memoryReserveMb, processMemoryMb: admission.processMemoryMb },
  };
}
