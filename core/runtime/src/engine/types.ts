import type { TokenUsage, ToolPolicy, WorkspaceFile } from '@ccp/plugin-api';

/**
 * One query to Claude, built by the runtime only from a plugin's declaration and the
 * operator's config. Nothing in it comes from a request body except `prompt` and `files`.
 */
export interface ClaudeRequest {
  readonly requestId: string;
  /** The engine that runs it (the plugin's `engine`; `agent` when it names none). */
  readonly engine?: string;
  readonly pluginId: string;
  readonly operation: string;
  /**
   * Who the call is for (the API key's name). A `claude` process kept alive between
   * calls only ever serves the caller it was first used for.
   */
  readonly caller?: string;
  readonly systemPrompt: string;
  readonly prompt: string;
  readonly files: readonly WorkspaceFile[];
  /** A repository commit to check out in the workspace before `files` are written (an operation's `source`). */
  readonly tree?: WorkspaceTree;
  readonly tools: ToolPolicy;
  readonly model?: string;
  readonly maxTurns?: number;
  readonly maxBudgetUsd?: number;
  /** JSON Schema the final answer must satisfy; sent as the SDK's `outputFormat`. */
  readonly outputSchema?: Record<string, unknown>;
  /** Hard limit for the whole query; the runtime aborts the query when it passes. */
  readonly timeoutMs: number;
  /** Fires when the caller goes away; the query and its `claude` process are stopped. */
  readonly signal?: AbortSignal;
  /**
   * The caller sees the answer as it streams (SSE, WebSocket). Then an API failure after
   * text was sent is not retried: the call fails as `interrupted` rather than sending a
   * second answer after part of the first.
   */
  readonly streaming?: boolean;
  /** Checks the final output; a returned message fails the query as `invalid_output`. */
  readonly checkOutput?: (output: unknown) => string | undefined;
  /**
   * A turn of a multi-turn session: the transcript is kept in the session store, and a
   * later turn resumes it (`resume: true`) so the model sees the earlier turns.
   */
  readonly session?: SessionTurnRequest;
}

/** A commit of a repository's mirror that a query's workspace holds, checked out read-only with no `.git`. */
export interface WorkspaceTree {
  readonly repository: string;
  /** The bare mirror it is read from. */
  readonly gitDir: string;
  readonly commit: string;
}

/** Puts a {@link WorkspaceTree} into an empty workspace directory. */
export interface TreeMaterialiser {
  materialise(tree: WorkspaceTree, dir: string): Promise<void>;
}

/** A session turn: which session, and the SDK's running totals before this turn. */
export interface SessionTurnRequest {
  readonly id: string;
  readonly resume: boolean;
  /**
   * The SDK reports usage and cost of a resumed session as running totals (earlier turns
   * included); the client subtracts these so every result carries this turn alone.
   */
  readonly prior?: { readonly usage: TokenUsage; readonly costUsd: number };
}

/** The final event of a successful query. */
export interface ClaudeResult {
  readonly type: 'result';
  /** The structured output when an output schema was given, else the final text. */
  readonly output: unknown;
  readonly text: string;
  readonly usage: TokenUsage;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly numTurns: number;
  readonly sessionId: string;
  /** Tool calls the permission layer refused (name only: inputs may hold caller data). */
  readonly deniedTools: readonly string[];
  /** Files the agent created or changed in its workspace; empty for read-only plugins. */
  readonly writtenFiles: readonly WorkspaceFile[];
}

/** What a running query reports, in order: one `start`, any `text`/`tool`, then one `result`. */
export type ClaudeEvent =
  | { readonly type: 'start'; readonly sessionId: string; readonly model: string; readonly tools: readonly string[] }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool'; readonly name: string; readonly summary: string }
  /** The CLI is retrying an API request that failed (it does so on its own, `claude.maxRetries` times). */
  | { readonly type: 'retry'; readonly attempt: number; readonly status: number | null; readonly delayMs: number }
  /**
   * The tokens the upstream reported so far (from the stream: every response's start and
   * final delta), summed over the call's API requests. Internal: it lets a call that ends
   * without a result be settled at what it really spent.
   */
  | { readonly type: 'usage'; readonly usage: TokenUsage; readonly model?: string }
  | ClaudeResult;

/**
 * An engine runs a planned call and yields typed events: the one seam under the call
 * pipeline. Decorators (metered, admission, breaker) wrap any engine; the router picks the
 * engine a plugin declares.
 */
export interface Engine {
  /** Runs a query; the iterator throws a {@link ClaudeError} when the query fails. */
  run(request: ClaudeRequest): AsyncIterable<ClaudeEvent>;
}

/**
 * Why a query failed. The circuit breaker counts only the upstream kinds
 * (`overloaded`, `rate_limited`, `api_error`, `interrupted`, `timeout`, `crash`).
 */
export type ClaudeFailureKind =
  | 'overloaded'
  | 'rate_limited'
  | 'api_error'
  | 'interrupted'
  | 'timeout'
  | 'crash'
  | 'bad_request'
  | 'auth'
  | 'aborted'
  | 'circuit_open'
  | 'at_capacity'
  | 'shutting_down'
  | 'max_turns'
  | 'budget'
  | 'invalid_output';

/** A failed query, with a kind the breaker and the HTTP layer both understand. */
export class ClaudeError extends Error {
  override readonly name = 'ClaudeError';
  constructor(
    readonly kind: ClaudeFailureKind,
    message: string,
    /** HTTP status the Messages API answered, where there was one. */
    readonly apiStatus?: number,
    /** When the caller may usefully try again (breaker open, upstream overloaded). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The engine a plugin runs on when it names none. */
export const DEFAULT_ENGINE = 'agent';

/** The error of a call refused or ended because this instance is shutting down. */
export const shuttingDownError = () => new ClaudeError('shutting_down', 'the platform is shutting down', undefined, 1);

/** The typed error an abort signal carries, when whoever aborted it gave one. */
export function abortReason(signal: AbortSignal | undefined): ClaudeError | undefined {
  return signal?.aborted && signal.reason instanceof ClaudeError ? signal.reason : undefined;
}
