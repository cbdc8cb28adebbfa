import type { OperationDefinition, PluginDefinition, ToolPolicy } from '@ccp/plugin-api';

/** An operation ready to serve, with its schemas as JSON Schema. */
export interface RegisteredOperation {
  readonly name: string;
  readonly definition: OperationDefinition;
  readonly inputSchema: Record<string, unknown>;
  /** What the agent must answer; sent as the SDK's `outputFormat`. */
  readonly outputSchema: Record<string, unknown>;
  /** What the caller receives as `result` (after the operation's `finish`). */
  readonly resultSchema: Record<string, unknown>;
}

/** A plugin with the operator's config applied: what the runtime actually uses. */
export interface RegisteredPlugin {
  readonly definition: PluginDefinition;
  /** The engine that runs it (`agent` unless the plugin names another). */
  readonly engine: string;
  /** Tools after the operator's narrowing; never wider than the declaration. */
  readonly tools: ToolPolicy;
  readonly model?: string;
  readonly maxTurns?: number;
  readonly maxBudgetUsd?: number;
  readonly timeoutMs: number;
  /** Whether stateless answers may be served from the response cache. */
  readonly cacheable: boolean;
  /** Where the plugin came from: `built-in`, `YAML file <path>`, `YAML in config`, `module <path>` or `package <name>`. */
  readonly source: string;
  readonly operations: ReadonlyMap<string, RegisteredOperation>;
}
