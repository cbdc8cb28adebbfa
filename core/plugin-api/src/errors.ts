/**
 * Every error code the platform can answer with, its HTTP status and title.
 * `docs/errors.md` documents each one; a test keeps the two in step.
 */
export const ERROR_CODES = {
  invalid_input: { status: 400, title: 'The request body does not match the operation input schema' },
  invalid_json: { status: 400, title: 'The request body is not valid JSON' },
  empty_body: { status: 400, title: 'The request body is empty' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  body_too_large: { status: 413, title: 'The request body is larger than the configured limit' },
  invalid_repository_config: { status: 400, title: "The repository's configuration file is not valid" },
  ref_not_found: { status: 422, title: 'A ref names no commit in the repository, or head and base share no history' },
  source_too_large: { status: 413, title: 'The repository source is larger than the configured limits' },
  plugin_not_found: { status: 404, title: 'No such plugin' },
  operation_not_found: { status: 404, title: 'No such operation' },
  route_not_found: { status: 404, title: 'No such route' },
  session_not_found: { status: 404, title: 'No such session, or it has expired' },
  mcp_session_not_found: { status: 404, title: 'No such MCP session, or it has ended' },
  session_busy: { status: 409, title: 'The session is answering another message' },
  job_not_found: { status: 404, title: 'No such job, or it has expired' },
  job_cancelled: { status: 409, title: 'The job was cancelled' },
  batch_not_found: { status: 404, title: 'No such batch, or it has expired' },
  job_not_finished: { status: 409, title: 'The job has not finished yet' },
  unsupported_format: { status: 406, title: 'The result cannot be given in the requested format' },
  idempotency_key_reused: { status: 422, title: 'The Idempotency-Key was used with a different request' },
  webhook_not_allowed: { status: 400, title: 'The webhook URL is not allowed' },
  job_not_redeliverable: { status: 409, title: 'The job has no finished webhook delivery to repeat' },
  unauthenticated: { status: 401, title: 'A valid API key is required' },
  key_expired: { status: 401, title: 'The API key, or this secret of it, has expired' },
  key_revoked: { status: 401, title: 'The API key was revoked' },
  key_not_found: { status: 404, title: 'No such API key' },
  key_name_taken: { status: 409, title: 'Another API key has this name' },
  key_read_only: { status: 409, title: 'This API key cannot be changed' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  rate_limited: { status: 429, title: 'Too many requests' },
  too_many_in_flight: { status: 429, title: 'Too many queries running for this API key' },
  too_many_sessions: { status: 429, title: 'Too many open sessions for this caller' },
  too_many_jobs: { status: 429, title: 'Too many queued jobs for this caller' },
  too_many_batches: { status: 429, title: 'Too many running batches for this caller' },
  budget_exhausted: { status: 402, title: 'The spending budget is exhausted' },
  credentials_missing: { status: 503, title: 'No Anthropic credentials are configured' },
  circuit_open: { status: 503, title: 'Claude is temporarily unavailable (circuit breaker open)' },
  at_capacity: { status: 503, title: 'The platform is at capacity' },
  shutting_down: { status: 503, title: 'This instance is shutting down' },
  console_not_built: { status: 503, title: 'The web console is not built on this instance' },
  worker_lost: { status: 503, title: 'The instance running the job was lost' },
  audit_unavailable: { status: 503, title: 'The audit log cannot be written' },
  shared_state_unavailable: { status: 503, title: 'Shared state (Redis) is unavailable' },
  database_unavailable: { status: 503, title: 'The database of keys and usage is unavailable' },
  upstream_overloaded: { status: 503, title: 'The Claude API is overloaded or rate limited' },
  upstream_error: { status: 502, title: 'The Claude API failed' },
  repository_unavailable: { status: 502, title: 'The repository could not be fetched' },
  upstream_interrupted: { status: 502, title: 'The Claude API failed after part of the answer was streamed' },
  upstream_auth: { status: 502, title: 'The Claude API refused the configured credentials' },
  upstream_bad_request: { status: 502, title: 'The Claude API rejected the request' },
  upstream_timeout: { status: 504, title: 'The query did not finish in time' },
  agent_crashed: { status: 502, title: 'The Claude Code process ended unexpectedly' },
  agent_max_turns: { status: 502, title: 'The agent reached its turn limit before answering' },
  agent_budget_exceeded: { status: 502, title: 'The agent reached its cost limit before answering' },
  invalid_agent_output: { status: 502, title: 'The agent answer does not match the operation output schema' },
  client_closed_request: { status: 499, title: 'The client closed the request' },
  internal_error: { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

/** A known error code. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** One field-level problem in a request body. */
export interface FieldError {
  /** Dotted path of the offending field, e.g. `files.0.path`; empty for the body itself. */
  readonly field: string;
  readonly message: string;
}

/** Extra members of a problem document. */
export interface ProblemExtras {
  readonly errors?: readonly FieldError[];
  /** Seconds the caller should wait; also sent as `Retry-After`. */
  readonly retryAfterSeconds?: number;
}

/**
 * An error that becomes an RFC 9457 problem. `detail` says what was wrong and
 * what to do next; it never carries a stack trace, a secret or an internal path.
 */
export class PlatformError extends Error {
  override readonly name: string = 'PlatformError';
  readonly status: number;
  readonly title: string;
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
  ) {
    super(detail);
    this.status = ERROR_CODES[code].status;
    this.title = ERROR_CODES[code].title;
  }
}

type CodesWithStatus<S extends number> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['status'] extends S ? K : never;
}[ErrorCode];

/** The request itself is wrong (4xx other than 404). */
export class InputError extends PlatformError {
  override readonly name = 'InputError';
  constructor(code: CodesWithStatus<400 | 406 | 413 | 415 | 422> = 'invalid_input', detail: string, extras?: ProblemExtras) {
    super(code, detail, extras);
  }
}

/** The caller is not known (401) or not allowed (403). */
export class NotAllowedError extends PlatformError {
  override readonly name = 'NotAllowedError';
  constructor(code: CodesWithStatus<401 | 403>, detail: string) {
    super(code, detail);
  }
}

/** The caller has used up a limit: requests, concurrent queries or money. */
export class RateLimitedError extends PlatformError {
  override readonly name = 'RateLimitedError';
  constructor(code: CodesWithStatus<429 | 402>, detail: string, extras?: ProblemExtras) {
    super(code, detail, extras);
  }
}

/** The named plugin, operation or route does not exist. */
export class NotFoundError extends PlatformError {
  override readonly name = 'NotFoundError';
  constructor(code: CodesWithStatus<404>, detail: string) {
    super(code, detail);
  }
}

/** The request conflicts with the state of a resource (e.g. a session mid-turn). */
export class ConflictError extends PlatformError {
  override readonly name = 'ConflictError';
  constructor(code: CodesWithStatus<409>, detail: string, extras?: ProblemExtras) {
    super(code, detail, extras);
  }
}

/** The platform cannot serve the request now; the caller may retry later. */
export class UnavailableError extends PlatformError {
  override readonly name = 'UnavailableError';
  constructor(code: CodesWithStatus<503 | 504>, detail: string, extras?: ProblemExtras) {
    super(code, detail, extras);
  }
}

/** Claude or its CLI failed in a way the caller cannot fix by changing the request. */
export class UpstreamError extends PlatformError {
  override readonly name = 'UpstreamError';
  constructor(code: CodesWithStatus<502>, detail: string) {
    super(code, detail);
  }
}
