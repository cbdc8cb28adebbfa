import type { Logger } from '@ccp/plugin-api';
import { waitUntil } from '@ccp/testing';
import { Lifecycle } from '../lifecycle/lifecycle';
import { MemoryInstances, type InstanceRegistry, type InstanceSummary } from '../state/instances';
import { publishInstance } from './instance-publisher';

const summary = (draining: boolean): InstanceSummary => ({
  instanceId: 'host:1', version: '0.1.0', startedAt: '2026-12-02T10:00:00.000Z', draining,
  breaker: { state: 'closed', retryAfterSeconds: 0 },
  admission: { running: 0, queued: 0, limits: { inFlight: 4, starting: 2, poolProcesses: 0 } },
  pool: { warming: 0, spare: 0, idle: 0, busy: 0 },
  publishedAt: new Date().toISOString(),
});

function logger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const l: Logger & { warnings: string[] } = { warnings, info: () => undefined, warn: (_o: object, msg?: string) => void warnings.push(String(msg)), error: () => undefined, debug: () => undefined, child: () => l };
  return l;
}

describe('publishing this instance', () => {
  it('publishes at once, says it drains as soon as the drain starts, and removes itself on shutdown', async () => {
    const registry = new MemoryInstances();
    const lifecycle = new Lifecycle();
    await publishInstance({ registry, summary: async () => summary(lifecycle.draining), lifecycle, logger: logger(), everyMs: 60_000 });
    expect((await registry.list()).map((s) => s.draining)).toEqual([false]);
    lifecycle.startDraining();
    // Not at the next period (a minute away): at the drain's start.
    expect(await waitUntil(async () => (await registry.list())[0]?.draining === true, 2_000, 5)).toBe(true);
    await lifecycle.shutdown();
    expect(await registry.list()).toEqual([]);
  });

  it('republishes every period, and logs a registry that fails once per outage, never throwing', async () => {
    let failing = true;
    let attempts = 0;
    const inner = new MemoryInstances();
    const registry: InstanceRegistry = {
      publish: async (s, as) => {
        attempts++;
        if (failing) throw new Error('Redis is away');
        await inner.publish(s, as);
      },
      remove: (id, owner) => inner.remove(id, owner),
      list: () => inner.list(),
    };
    const log = logger();
    const lifecycle = new Lifecycle();
    await publishInstance({ registry, summary: async () => summary(false), lifecycle, logger: log, everyMs: 10 });
    expect(await waitUntil(() => attempts >= 4, 2_000, 5)).toBe(true);
    expect(log.warnings).toHaveLength(1);
    failing = false;
    expect(await waitUntil(async () => (await inner.list()).length === 1, 2_000, 5)).toBe(true);
    await lifecycle.shutdown();
    expect(await inner.list()).toEqual([]);
  });
});
