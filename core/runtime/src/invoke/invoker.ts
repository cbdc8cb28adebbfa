import { randomUUID } from 'node:crypto';
import {
  ClaudeError, InputError, NotFoundError, UnavailableError,
  type ClaudeClient, type ClaudeEvent, type FieldError, type Logger,
} from '@ccp/plugin-api';
import type { z } from 'zod';
import type { Secrets } from '../config/schema';
import type { PluginRegistry } from '../plugins/registry';

/** The body of a successful operation call. */
export interface InvocationResult {
  readonly result: unknown;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number; readonly costUsd: number };
  readonly durationMs: number;
  readonly sessionId: string;
}

/** Per-call context from the transport (HTTP now; SSE and WebSocket later). */
export interface InvocationContext {
  readonly requestId: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ClaudeEvent) => void;
}

/** zod issues as field errors with dotted paths. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const field = issue.path.join('.');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
    if (keys) return { field: keys.map((k) => (field ? `${field}.${k}` : k)).join(', '), message: `unknown field(s); remove ${keys.join(', ')}` };
    return { field, message: issue.message };
  });
}

/** Whether Claude credentials are set; the message says how to set them. */
export function credentialsProblem(secrets: Secrets): string | undefined {
  if (secrets.anthropicApiKey || secrets.claudeOauthToken) return undefined;
  return 'No Anthropic credentials are set. Set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN) in the environment and restart, or run `npm run demo` to try the platform against the offline simulator.';
}

/**
 * Runs one operation of one plugin: validates the input, builds the query from the
 * plugin's declaration and config only, runs it through the shared client, and checks
 * the answer against the operation's output schema.
 */
export class OperationInvoker {
  constructor(
    private readonly registry: PluginRegistry,
    private readonly client: ClaudeClient,
    private readonly secrets: Secrets,
    private readonly logger: Logger,
  ) {}

  async invoke(pluginId: string, operationName: string, body: unknown, context: InvocationContext): Promise<InvocationResult> {
    const plugin = this.registry.get(pluginId);
    if (!plugin) throw new NotFoundError('plugin_not_found', `There is no plugin "${pluginId}". GET /v1/plugins lists the plugins this deployment serves.`);
    const operation = plugin.operations.get(operationName);
    if (!operation) {
      const names = [...plugin.operations.keys()].join(', ');
      throw new NotFoundError('operation_not_found', `Plugin "${pluginId}" has no operation "${operationName}". Its operations: ${names}.`);
    }
    const parsed = operation.definition.input.safeParse(body ?? {});
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error);
      throw new InputError('invalid_input', `The body does not match the input of ${pluginId}/${operationName}: ${errors.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; ')}. GET /v1/plugins/${pluginId} describes the input.`, { errors });
    }
    const missing = credentialsProblem(this.secrets);
    if (missing) throw new UnavailableError('credentials_missing', missing);

    const started = performance.now();
    const prepared = operation.definition.prepare(parsed.data);
    const events = this.client.run({
      requestId: context.requestId || randomUUID(),
      pluginId,
      operation: operationName,
      systemPrompt: plugin.definition.systemPrompt,
      prompt: prepared.prompt,
      files: prepared.files ?? [],
      tools: plugin.tools,
      model: plugin.model,
      maxTurns: plugin.maxTurns,
      maxBudgetUsd: plugin.maxBudgetUsd,
      outputSchema: operation.outputSchema,
      timeoutMs: plugin.timeoutMs,
      signal: context.signal,
      checkOutput: (output) => {
        const checked = operation.definition.output.safeParse(output);
        if (checked.success) return undefined;
        this.logger.warn({ requestId: context.requestId, plugin: pluginId, issues: checked.error.issues.length }, 'agent output failed the output schema');
        return 'the structured output does not match the output schema';
      },
    });
    for await (const event of events) {
      context.onEvent?.(event);
      if (event.type !== 'result') continue;
      // The client already refused output that fails the schema (checkOutput); a client
      // that does not honour it still cannot hand the caller unchecked data.
      const checked = operation.definition.output.safeParse(event.output);
      if (!checked.success) throw new ClaudeError('invalid_output', 'the structured output does not match the output schema');
      const result = operation.definition.finish
        ? operation.definition.finish(checked.data, { input: parsed.data, written: event.writtenFiles })
        : checked.data;
      return {
        result,
        usage: { inputTokens: event.usage.inputTokens, outputTokens: event.usage.outputTokens, costUsd: event.costUsd },
        durationMs: Math.round(performance.now() - started),
        sessionId: event.sessionId,
      };
    }
    throw new ClaudeError('crash', 'the query ended without a result');
  }
}
