/** The code-review severities, most severe first. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const isSeverity = (s: string): s is Severity => (SEVERITIES as readonly string[]).includes(s);

/** The findings at or above `threshold` (`critical` is above `high`). */
export function atOrAbove<F extends { readonly severity: string }>(findings: readonly F[], threshold: Severity): F[] {
  const limit = SEVERITIES.indexOf(threshold);
  return findings.filter((f) => isSeverity(f.severity) && SEVERITIES.indexOf(f.severity) <= limit);
}
