/** One content block the simulated model answers with. */
export type SimBlock =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool_use'; readonly name: string; readonly input: unknown; readonly id?: string };

/** What the simulator does with one Messages API request. */
export type SimReply =
  /** Answer with these blocks, streamed in small pieces `chunkDelayMs` apart. */
  | { readonly blocks: readonly SimBlock[]; readonly chunkDelayMs?: number }
  /** Answer with an HTTP error as the Messages API does (429, 500, 529 …). */
  | { readonly fault: number; readonly retryAfterSeconds?: number }
  /**
   * Start a streamed answer with this text, then fail mid-stream with an SSE `error` event
   * (as the Messages API does when it is overloaded after output began).
   */
  | { readonly failMidStream: string; readonly errorType?: string }
  /** Accept the request and never answer (until the client goes away or the simulator closes). */
  | { readonly hang: true }
  /**
   * Answer as the default model would, but stream it slowly, and only once `after` has
   * resolved (a test holds a set of calls waiting on the model, then lets them go).
   */
  | { readonly auto: true; readonly chunkDelayMs?: number; readonly after?: Promise<unknown> };

/** A request the simulator received, as tests read it. */
export interface RecordedRequest {
  readonly seq: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body (undefined for HEAD/GET). */
  readonly body: Record<string, unknown> | undefined;
  /** Every system text block joined with blank lines. */
  readonly system: string;
  /** Names of the tools the model was offered, in order. */
  readonly tools: readonly string[];
  readonly messages: readonly { role: string; content: unknown }[];
  readonly model: string | undefined;
  readonly stream: boolean;
  /** When the simulator finished answering (unset while it streams or hangs). */
  completedAt?: number;
  /** When the client closed the connection before the answer was complete (a cancelled call cuts its stream). */
  closedAt?: number;
  /** The `input_tokens` the simulator reported for this request. */
  inputTokens?: number;
  /** The blocks it answered with (unset for faults, hangs and broken streams). */
  reply?: readonly SimBlock[];
  /** How long its pacing (a profile, or `chunkDelayMs`) made the answer take: first byte plus the gaps between events. */
  modelMs?: number;
}
