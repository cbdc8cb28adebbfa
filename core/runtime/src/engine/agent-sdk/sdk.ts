import type { Options, Query, SDKUserMessage, SpareProcess } from '@anthropic-ai/claude-agent-sdk';

/** The SDK's `query` function, injected so unit tests never load the ESM SDK. */
export type QueryFn = (params: { prompt: string | AsyncIterable<SDKUserMessage>; options?: Options }) => Query;

/** The SDK's `prewarm`, injected like `query`. */
export type PrewarmFn = (params: { options?: Options; initializeTimeoutMs?: number }) => Promise<SpareProcess>;

/** The two SDK functions the agent engine uses. */
export interface AgentSdk {
  readonly query: QueryFn;
  readonly prewarm: PrewarmFn;
}

/** Loads the ESM-only SDK from CommonJS output with a native dynamic import. */
export async function loadSdk(): Promise<AgentSdk> {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  return { query: sdk.query as QueryFn, prewarm: sdk.prewarm as PrewarmFn };
}
