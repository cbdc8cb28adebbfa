import type { Caller } from '../auth/caller';

/** Who a limit applies to, and for which plugin. */
export interface LimitSubject {
  readonly caller: Caller;
  /** The client address (the rate-limit bucket while authentication is off). */
  readonly clientIp?: string;
  readonly plugin: string;
  /** What one call of the plugin may cost at most: reserved against budgets, then settled. */
  readonly reserveUsd?: number;
}

/** What a call holds from one limit while it runs. */
export interface Hold {
  /** Gives back what the call did not use; `spentUsd` is what it really spent. */
  release(spentUsd: number): Promise<void>;
}

/**
 * One limit on calls: request rates (per key, per plugin), concurrency per key, budgets,
 * admission. `take` either admits the call or throws its own typed refusal (429, 402, 503)
 * with a Retry-After computed by `secondsUntil` (./retry-after.ts).
 */
export interface Limit {
  readonly name: string;
  take(subject: LimitSubject, signal?: AbortSignal): Promise<Hold>;
}

/** A hold with nothing to give back. */
export const NOTHING_HELD: Hold = { release: async () => undefined };

/**
 * Takes every limit in order; when one refuses, gives back what the earlier ones held and
 * rethrows its refusal. The returned hold releases them all, newest first.
 */
export async function takeAll(limits: readonly Limit[], subject: LimitSubject, signal?: AbortSignal): Promise<Hold> {
  const held: Hold[] = [];
  try {
    for (const limit of limits) held.push(await limit.take(subject, signal));
  } catch (err) {
    for (const h of held.reverse()) await h.release(0).catch(() => undefined);
    throw err;
  }
  return {
    release: async (spentUsd) => {
      for (const h of [...held].reverse()) await h.release(spentUsd);
    },
  };
}
