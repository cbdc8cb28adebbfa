import type { PreparedQuery, WorkspaceFile } from '@ccp/plugin-api';
import type { PlatformConfig } from '../config/schema';
import type { ClaudeEvent, SessionTurnRequest } from '../engine/types';
import type { RegisteredOperation, RegisteredPlugin } from '../plugins/registered-plugin';
import type { CallSource } from '../sources/source-resolver';
import type { Call, CallSink } from './call';
import { SpendMeter, type Spend } from './spend';

/** A session turn as the engine runs it: which session, and the files of its workspace. */
export interface TurnState extends SessionTurnRequest {
  readonly files: readonly WorkspaceFile[];
}

/**
 * One call as it moves through the stages: the planned call (plain data) plus what only
 * this process has for it (the plugin, the caller's signal, the event sink, the spend).
 */
export class CallContext {
  readonly spend = new SpendMeter();
  /** An outcome other than `success` for a call that answered (e.g. `cache_hit`). */
  outcome: string | undefined;
  /** Set by the session stage for a session turn. */
  turn: TurnState | undefined;
  /** Set by the source stage when the input names a repository: the resolved commits, diff and tree. */
  source: CallSource | undefined;
  private preparedQuery: PreparedQuery | undefined;

  constructor(
    readonly call: Call,
    readonly plugin: RegisteredPlugin,
    /** The operation; undefined for a free-text session message. */
    readonly operation: RegisteredOperation | undefined,
    readonly signal: AbortSignal,
    readonly sink: CallSink,
    readonly reservationUsd: number,
    private readonly pricing: PlatformConfig['pricing'],
    readonly startedAt: number = performance.now(),
  ) {}

  /**
   * The operation's prompt and files, built only when a query runs (a cache hit never needs
   * them), or by the source stage, which checks the input with the repository's content early.
   */
  get prepared(): PreparedQuery | undefined {
    if (!this.operation) return undefined;
    this.preparedQuery ??= this.operation.definition.prepare(this.call.input, this.source ? { source: this.source.resolved } : {});
    return this.preparedQuery;
  }

  /** Sends an engine event to the spend meter and the transport. */
  emit(event: ClaudeEvent): void {
    this.spend.see(event);
    this.sink.event?.(event);
  }

  /** What the call spent; `error` is how it ended (undefined when it answered). Settled once. */
  settle(error?: unknown): Spend {
    return this.spend.settle(error, this.reservationUsd, this.pricing);
  }

  get elapsedMs(): number {
    return Math.round(performance.now() - this.startedAt);
  }
}
