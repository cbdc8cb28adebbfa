/** A file placed in a query's private workspace before the agent starts. */
export interface WorkspaceFile {
  /** Relative POSIX path inside the workspace, already checked by the runtime. */
  readonly path: string;
  readonly content: string;
}

/** Token counts as the SDK reports them for a query. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheCreationInputTokens: number;
}
