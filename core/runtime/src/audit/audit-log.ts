import type { Logger } from '@ccp/plugin-api';

/** One audit line: who called what, how it ended, what it cost. Never a key, never content. */
export interface AuditEntry {
  readonly requestId: string;
  /** The API key's name (`anonymous` when auth is off). */
  readonly key: string;
  readonly plugin: string;
  readonly operation: string;
  readonly transport: 'http' | 'sse' | 'ws';
  /** `success`, or the failure code (`upstream_overloaded`, `budget_exhausted`, …). */
  readonly outcome: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly durationMs: number;
  readonly sessionId?: string;
  readonly cacheReadInputTokens?: number;
  readonly cacheCreationInputTokens?: number;
  /** How `costUsd` was arrived at: `reported` by the engine, `observed` in the stream, the `reservation`, or `none`. */
  readonly spendBasis?: string;
}

/** Writes one structured line per call (to stdout, and to a file when configured). */
export class AuditLog {
  constructor(private readonly logger: Logger) {}

  record(entry: AuditEntry): void {
    this.logger.info({ audit: true, ...entry }, 'invocation');
  }
}
