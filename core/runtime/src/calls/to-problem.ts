import { PlatformError, type ErrorCode } from '@ccp/plugin-api';
import { ClaudeError, type ClaudeFailureKind } from '../engine/types';

const BY_KIND: Record<ClaudeFailureKind, { code: ErrorCode; detail: string }> = {
  overloaded: { code: 'upstream_overloaded', detail: 'The Claude API is overloaded and the CLI gave up after its retries. Retry later.' },
  rate_limited: { code: 'upstream_overloaded', detail: 'The Claude API rate-limited this organisation and the CLI gave up after its retries. Retry later.' },
  api_error: { code: 'upstream_error', detail: 'The Claude API failed and the CLI gave up after its retries. Retry later; if it persists, check the API status and /health/ready.' },
  interrupted: { code: 'upstream_interrupted', detail: 'The Claude API failed after part of the answer had been streamed to you. The call was not retried, so the text you received is incomplete: discard it and send the call again.' },
  auth: { code: 'upstream_auth', detail: 'The Claude API refused the configured credentials. An operator must check ANTHROPIC_API_KEY or CLAUDE_CODE_OAUTH_TOKEN.' },
  bad_request: { code: 'upstream_bad_request', detail: 'The Claude API rejected the request (for example the input is too large for the model). Shorten the input and retry.' },
  timeout: { code: 'upstream_timeout', detail: 'The query did not finish within the time limit. Submit less input, or ask an operator to raise the plugin timeoutMs.' },
  crash: { code: 'agent_crashed', detail: 'The Claude Code process ended before it answered. Retry; if it persists, an operator should check the logs.' },
  aborted: { code: 'client_closed_request', detail: 'The client closed the request before the answer was ready.' },
  circuit_open: { code: 'circuit_open', detail: 'Claude queries are paused after repeated upstream failures.' },
  at_capacity: { code: 'at_capacity', detail: 'Every query slot and queue place is taken.' },
  shutting_down: { code: 'shutting_down', detail: 'This instance is shutting down and ended the query after its drain time. Retry: another instance will take it.' },
  max_turns: { code: 'agent_max_turns', detail: 'The agent used all its turns before answering. Submit less input, or ask an operator to raise the plugin maxTurns.' },
  budget: { code: 'agent_budget_exceeded', detail: 'The agent reached its cost limit before answering. Submit less input, or ask an operator to raise the plugin maxBudgetUsd.' },
  invalid_output: { code: 'invalid_agent_output', detail: 'The agent did not return an answer in the operation output format. Retry the request.' },
};

/** Retry-After for an overloaded or rate-limited API: the CLI has already retried for seconds. */
export const OVERLOAD_RETRY_AFTER_SECONDS = 10;

/** Turns any failure into the problem the caller sees; unknown errors become `internal_error`. */
export function toPlatformError(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof ClaudeError) {
    const { code, detail } = BY_KIND[err.kind];
    const wait = err.retryAfterSeconds ?? (code === 'upstream_overloaded' ? OVERLOAD_RETRY_AFTER_SECONDS : undefined);
    const text = (err.kind === 'circuit_open' || err.kind === 'at_capacity') && wait ? `${detail} Retry in ${wait} s.` : detail;
    return new PlatformError(code, text, wait ? { retryAfterSeconds: wait } : {});
  }
  return new PlatformError('internal_error', 'An unexpected error occurred. The request id identifies it in the logs.');
}
