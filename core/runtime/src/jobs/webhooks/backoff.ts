/** How retries of a webhook are spaced (`jobs.webhooks`). */
export interface BackoffOptions {
  /** The wait after the first failed attempt. */
  readonly initialDelayMs: number;
  /** No wait is longer than this. */
  readonly maxDelayMs: number;
  /** Each wait is moved by up to this share of itself, up or down (0 to 1). */
  readonly jitter: number;
}

/**
 * The wait before attempt `next` (2 for the first retry): `initialDelayMs` doubled for each
 * attempt since, capped at `maxDelayMs`, then spread by ±`jitter` so receivers that failed
 * together are not all retried in the same instant. `random` gives a number in [0, 1).
 * With a jitter under 1/3, each wait is longer than the one before it until the cap.
 */
export function backoffDelay(next: number, options: BackoffOptions, random: () => number = Math.random): number {
  const nominal = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, next - 2));
  const spread = 1 + options.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(Math.min(options.maxDelayMs, nominal * spread)));
}
