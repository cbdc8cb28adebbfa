import { z } from 'zod';

/** A circuit breaker's state and, when not closed, the seconds until a trial query. */
export const breakerSummary = z.object({ state: z.enum(['closed', 'half_open', 'open', 'disabled']), retryAfterSeconds: z.number().int() });

/** Admission now: calls holding a slot, calls waiting for one, and the instance's limits. */
export const admissionSummary = z.object({
  running: z.number().int(),
  queued: z.number().int(),
  limits: z.object({ inFlight: z.number().int(), starting: z.number().int(), poolProcesses: z.number().int() }),
});

/** The warm pool's `claude` processes by state. */
export const poolSummary = z.object({ warming: z.number().int(), spare: z.number().int(), idle: z.number().int(), busy: z.number().int() });

/**
 * What each instance publishes about itself to the shared state, and reads back about the
 * others: counts and states only, never a key, a URL or a caller's name.
 */
export const instanceSummary = z.object({
  instanceId: z.string().meta({ description: 'Host name and process id' }),
  version: z.string(),
  startedAt: z.string().meta({ description: 'When its runtime started (ISO 8601)' }),
  draining: z.boolean().meta({ description: 'Shutting down: it takes no new calls and finishes those it runs' }),
  breaker: breakerSummary,
  admission: admissionSummary,
  pool: poolSummary,
  publishedAt: z.string().meta({ description: 'When it published this (ISO 8601, by its own clock)' }),
});

export type InstanceSummary = z.infer<typeof instanceSummary>;

/** Who publishes a record: a runtime (several may share a process id during a config reload). */
export interface PublishAs {
  /** The publishing runtime's own random token. */
  readonly owner: string;
  /** How long the record lives unless published again. */
  readonly ttlMs: number;
  /**
   * Take the record whoever held it (a runtime that serves). False: only refresh it if no
   * other runtime holds it, so a runtime draining after a reload does not overwrite, or
   * remove, the record of the one that replaced it under the same instance id.
   */
  readonly claim: boolean;
}

/**
 * The live instances, each a record that expires unless its instance publishes it again:
 * a drained instance removes its own, a killed one's runs out.
 */
export interface InstanceRegistry {
  publish(summary: InstanceSummary, as: PublishAs): Promise<void>;
  /** Removes the instance's record if `owner` still holds it. */
  remove(instanceId: string, owner: string): Promise<void>;
  /** Every live record, in no particular order. */
  list(): Promise<InstanceSummary[]>;
}

/** This process's records only (no shared store: one instance, or a runtime and the one replacing it). */
export class MemoryInstances implements InstanceRegistry {
  private readonly records = new Map<string, { summary: InstanceSummary; owner: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async publish(summary: InstanceSummary, as: PublishAs): Promise<void> {
    const held = this.live(summary.instanceId);
    if (!as.claim && held && held.owner !== as.owner) return;
    this.records.set(summary.instanceId, { summary, owner: as.owner, expires: this.now() + as.ttlMs });
  }

  async remove(instanceId: string, owner: string): Promise<void> {
    if (this.records.get(instanceId)?.owner === owner) this.records.delete(instanceId);
  }

  async list(): Promise<InstanceSummary[]> {
    return [...this.records.keys()].flatMap((id) => {
      const record = this.live(id);
      return record ? [record.summary] : [];
    });
  }

  private live(id: string) {
    const record = this.records.get(id);
    if (!record || record.expires > this.now()) return record;
    this.records.delete(id);
    return undefined;
  }
}
