import type { TokenUsage } from '@ccp/plugin-api';

/** Above this many bytes of JSON, a turn's input or answer is not kept in its log entry. */
export const TURN_VALUE_MAX_BYTES = 16_384;

/** One answered turn of a session, as its owner reads it back (GET /v1/sessions/{id}/turns). */
export interface SessionTurn {
  /** 1 for the first turn. */
  readonly turn: number;
  /** When it was answered (ISO 8601). */
  readonly at: string;
  /** The operation of a first turn, or `message` for a free-text turn. */
  readonly operation: string;
  /** What was asked: the operation's validated input, or `{ text }`; null when too large to keep. */
  readonly input: unknown;
  /** The answer as the call returned it; null when too large to keep. */
  readonly result: unknown;
  readonly usage: TokenUsage & { readonly costUsd: number };
  readonly durationMs: number;
  /** Which of `input` and `result` were over TURN_VALUE_MAX_BYTES and so not kept. */
  readonly omitted: readonly ('input' | 'result')[];
}

const fits = (value: unknown) => Buffer.byteLength(JSON.stringify(value ?? null), 'utf8') <= TURN_VALUE_MAX_BYTES;

/** The log entry of a turn just answered: its input and answer, each kept if it fits. */
export function turnEntry(turn: number, at: number, asked: { operation: string; input: unknown }, answer: { result: unknown; usage: SessionTurn['usage']; durationMs: number }): SessionTurn {
  const omitted: ('input' | 'result')[] = [];
  const keep = (name: 'input' | 'result', value: unknown) => {
    if (fits(value)) return value ?? null;
    omitted.push(name);
    return null;
  };
  return {
    turn,
    at: new Date(at).toISOString(),
    operation: asked.operation,
    input: keep('input', asked.input),
    result: keep('result', answer.result),
    usage: answer.usage,
    durationMs: answer.durationMs,
    omitted,
  };
}
