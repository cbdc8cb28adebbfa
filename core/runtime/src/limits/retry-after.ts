/**
 * Whole seconds until `when` (a Date or epoch ms), at least 1: the one place a Retry-After
 * is computed from a reset time (rate-limit windows, budget periods, an open breaker).
 */
export function secondsUntil(when: Date | number, now: number = Date.now()): number {
  const at = typeof when === 'number' ? when : when.getTime();
  return Math.max(1, Math.ceil((at - now) / 1000));
}
