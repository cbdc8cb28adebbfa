import { ClaudeError, type ClaudeFailureKind } from './types';

/** Kinds that say Claude or its CLI is unhealthy: only these count against the circuit breaker. */
export const BREAKER_FAILURES: ReadonlySet<ClaudeFailureKind> = new Set(['overloaded', 'rate_limited', 'api_error', 'interrupted', 'timeout', 'crash']);

/**
 * True when an error should count as a breaker failure: only the upstream kinds. A
 * platform bug or a local error (disk full, a bad workspace path) says nothing about
 * Claude, and must not let a caller open the breaker for everyone.
 */
export function countsAgainstBreaker(err: unknown): boolean {
  return err instanceof ClaudeError && BREAKER_FAILURES.has(err.kind);
}

/** The failure kind for a Messages API status the CLI gave up on. */
export function kindForApiStatus(status: number | null | undefined): ClaudeFailureKind {
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status === 401 || status === 403) return 'auth';
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'bad_request';
  return 'api_error';
}

/** The failure kind for a result message's error subtype. */
export function kindForResultSubtype(subtype: string): ClaudeFailureKind | undefined {
  switch (subtype) {
    case 'error_max_turns':
      return 'max_turns';
    case 'error_max_budget_usd':
      return 'budget';
    case 'error_max_structured_output_retries':
      return 'invalid_output';
    case 'error_during_execution':
      return 'crash';
    default:
      return undefined;
  }
}
