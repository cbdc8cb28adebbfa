import type { McpSdkServerConfigWithInstance, Options, Query, SDKUserMessage, SpareProcess } from '@anthropic-ai/claude-agent-sdk';

/** The SDK's `query` function, injected so unit tests never load the ESM SDK. */
export type QueryFn = (params: { prompt: string | AsyncIterable<SDKUserMessage>; options?: Options }) => Query;

/** The SDK's `prewarm`, injected like `query`. */
export type PrewarmFn = (params: { options?: Options; initializeTimeoutMs?: number }) => Promise<SpareProcess>;

/** What an in-process tool answers (an MCP `CallToolResult` with text content). */
export interface SdkToolResult {
  readonly content: { type: 'text'; text: string }[];
  readonly isError?: boolean;
  readonly [key: string]: unknown;
}

/** The SDK's `tool()` and `createSdkMcpServer()`: a plugin's defined tools served in process. */
export interface SdkMcp {
  tool(name: string, description: string, shape: Readonly<Record<string, unknown>>, handler: (args: Record<string, unknown>, extra: unknown) => Promise<SdkToolResult>): unknown;
  createSdkMcpServer(options: { name: string; version?: string; tools?: unknown[]; alwaysLoad?: boolean }): McpSdkServerConfigWithInstance;
}

/** The SDK functions the agent engine uses. */
export interface AgentSdk {
  readonly query: QueryFn;
  readonly prewarm: PrewarmFn;
  /** Absent in unit tests' fakes that serve no plugin with defined tools. */
  readonly mcp?: SdkMcp;
}

/** Loads the ESM-only SDK from CommonJS output with a native dynamic import. */
export async function loadSdk(): Promise<AgentSdk> {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  return {
    query: sdk.query as QueryFn,
    prewarm: sdk.prewarm as PrewarmFn,
    mcp: { tool: sdk.tool as unknown as SdkMcp['tool'], createSdkMcpServer: sdk.createSdkMcpServer as unknown as SdkMcp['createSdkMcpServer'] },
  };
}
