import { randomUUID } from 'node:crypto';
import type { Logger } from '@ccp/plugin-api';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { InstanceRegistry, InstanceSummary } from '../state/instances';

/** How often an instance publishes its summary, and how long a summary lives unless published again. */
export const PUBLISH_EVERY_MS = 5_000;
export const PUBLISHED_TTL_MS = 3 * PUBLISH_EVERY_MS;

/** What {@link publishInstance} needs. */
export interface PublisherDeps {
  readonly registry: InstanceRegistry;
  readonly summary: () => Promise<InstanceSummary>;
  readonly lifecycle: Pick<Lifecycle, 'onDraining' | 'addShutdownHook'>;
  readonly logger: Logger;
  readonly everyMs?: number;
  readonly ttlMs?: number;
}

/**
 * Publishes this instance's summary now (resolves once tried), then every `everyMs` and as
 * soon as the drain starts, each living `ttlMs`; a shutdown hook removes it, so a drained
 * instance leaves the others' lists at once, and a killed one's runs out. A failure is
 * logged once per outage, never thrown: the status of the others is all it costs.
 */
export async function publishInstance(deps: PublisherDeps): Promise<void> {
  const everyMs = deps.everyMs ?? PUBLISH_EVERY_MS;
  const ttlMs = deps.ttlMs ?? PUBLISHED_TTL_MS;
  // Several runtimes share an instance id during a config reload; each publishes as itself.
  const owner = randomUUID();
  let instanceId: string | undefined;
  let failing = false;
  let stopped = false;
  let last: Promise<void> = Promise.resolve();
  const publish = async () => {
    try {
      const summary = await deps.summary();
      if (stopped) return;
      instanceId = summary.instanceId;
      await deps.registry.publish(summary, { owner, ttlMs, claim: !summary.draining });
      if (failing) deps.logger.info({}, 'this instance is listed in the shared state again');
      failing = false;
    } catch (err) {
      if (!failing) deps.logger.warn({ err }, "could not publish this instance's summary to the shared state: other instances' status will not list it until it can");
      failing = true;
    }
  };
  const next = () => (last = last.then(publish));
  const timer = setInterval(() => void next(), everyMs);
  timer.unref();
  deps.lifecycle.onDraining(() => void next());
  deps.lifecycle.addShutdownHook('instance summary', async () => {
    clearInterval(timer);
    stopped = true;
    await last;
    if (instanceId) await deps.registry.remove(instanceId, owner).catch((err: unknown) => deps.logger.warn({ err }, "could not remove this instance's summary from the shared state: it expires by itself"));
  });
  await next();
}
