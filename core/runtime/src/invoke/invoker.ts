import { randomUUID } from 'node:crypto';
import {
  ClaudeError, InputError, NotFoundError, UnavailableError,
  type ClaudeClient, type ClaudeEvent, type ClaudeResult, type FieldError, type Logger, type PreparedQuery, type SessionTurnRequest, type TokenUsage, type WorkspaceFile,
} from '@ccp/plugin-api';
import type { z } from 'zod';
import type { Secrets } from '../config/schema';
import type { RegisteredOperation, RegisteredPlugin } from '../plugins/registered-plugin';
import type { PluginRegistry } from '../plugins/registry';
import type { AuditEntry, AuditLog } from '../audit/audit-log';
import { ANONYMOUS, type Caller } from '../auth/caller';
import { requirePlugin } from '../auth/middleware';
import type { CallGuard } from '../limits/guard';
import { toPlatformError } from './to-problem';
import { cacheKey, type CacheStore } from '../capacity/response-cache';
import type { Metrics } from '../metrics/metrics';
import type { PluginLimit } from '../http/rate-limits';

/** The body of a successful call. */
export interface InvocationResult {
  readonly result: unknown;
  /** This call's tokens (cache reads and writes apart) and the SDK's cost estimate. */
  readonly usage: TokenUsage & { readonly costUsd: number };
  readonly durationMs: number;
  readonly sessionId: string;
}


/** Per-call context from the transport (HTTP, SSE, WebSocket). */
export interface InvocationContext {
  readonly requestId: string;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: ClaudeEvent) => void;
  /** Who calls; anonymous when absent (authentication off). */
  readonly caller?: Caller;
  /** The client address (the rate-limit bucket while authentication is off). */
  readonly clientIp?: string;
  readonly transport?: AuditEntry['transport'];
  /** `no-cache` when the caller sent Cache-Control: no-cache (the cache is not read). */
  readonly cacheControl?: 'no-cache';
  /** Told whether the answer came from the response cache. */
  readonly onCache?: (status: 'hit' | 'miss' | 'bypass') => void;
}

/** The response cache as the invoker uses it. */
export interface ResponseCache {
  readonly store: CacheStore;
  readonly ttlMs: number;
  readonly metrics: Metrics;
}

/** Failures after which the query most likely spent tokens: charged at the full reservation. */
const SPENT_ON_FAILURE = new Set(['timeout', 'aborted', 'max_turns', 'budget', 'invalid_output']);

/** A validated operation call, ready to run: everything that can be refused was checked. */
export interface PlannedCall {
  readonly plugin: RegisteredPlugin;
  readonly operation: RegisteredOperation;
  readonly input: unknown;
  readonly prepared: PreparedQuery;
}

/** Everything one query needs, from a call or a session turn. */
interface QuerySpec {
  readonly plugin: RegisteredPlugin;
  readonly operation: string;
  readonly prompt: string;
  readonly files: readonly WorkspaceFile[];
  readonly context: InvocationContext;
  readonly session: SessionTurn | undefined;
  readonly output: { readonly outputSchema?: Record<string, unknown>; readonly checkOutput?: (o: unknown) => string | undefined };
}

/** A session turn to run with a call or free text. */
export type SessionTurn = SessionTurnRequest;

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

function usageOf(event: ClaudeResult): InvocationResult['usage'] {
  return { ...event.usage, costUsd: event.costUsd };
}

/**
 * Runs plugin operations and session turns: validates the input, builds the query from the
 * plugin's declaration and config only, runs it through the shared client, and checks the
 * answer against the operation's output schema.
 */
export class OperationInvoker {
  constructor(
    private readonly registry: PluginRegistry,
    private readonly client: ClaudeClient,
    private readonly secrets: Secrets,
    private readonly logger: Logger,
    private readonly guard: CallGuard,
    private readonly audit: AuditLog,
    private readonly cache?: ResponseCache,
    private readonly pluginLimit?: PluginLimit,
  ) {}

  /** The plugin, or a 404 that lists where to look; a 403 when the caller may not use it. */
  plugin(pluginId: string, caller: Caller = ANONYMOUS): RegisteredPlugin {
    const plugin = this.registry.get(pluginId);
    if (!plugin) throw new NotFoundError('plugin_not_found', `There is no plugin "${pluginId}". GET /v1/plugins lists the plugins this deployment serves.`);
    requirePlugin(caller, pluginId);
    return plugin;
  }

  /** Validates a call without running it; throws the 4xx/503 problem a caller should see. */
  plan(pluginId: string, operationName: string, body: unknown, caller: Caller = ANONYMOUS): PlannedCall {
    const plugin = this.plugin(pluginId, caller);
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
    this.requireCredentials();
    // The prompt is built only when a query runs: a cache hit never needs it.
    let prepared: PreparedQuery | undefined;
    return {
      plugin,
      operation,
      input: parsed.data,
      get prepared() {
        return (prepared ??= operation.definition.prepare(parsed.data));
      },
    };
  }

  /** Throws 503 `credentials_missing` when no credentials are set. */
  requireCredentials(): void {
    const missing = credentialsProblem(this.secrets);
    if (missing) throw new UnavailableError('credentials_missing', missing);
  }

  /** Validates and runs one operation. */
  invoke(pluginId: string, operationName: string, body: unknown, context: InvocationContext): Promise<InvocationResult> {
    return this.execute(this.plan(pluginId, operationName, body, context.caller), context);
  }

  /**
   * Runs a planned call; as a session's first turn when `session` is given. A stateless call
   * of a cacheable plugin is answered from the response cache when it can be (a hit costs
   * nothing, so its usage is zero).
   */
  async execute(call: PlannedCall, context: InvocationContext, session?: SessionTurn): Promise<InvocationResult> {
    const cache = !session && call.plugin.cacheable ? this.cache : undefined;
    if (!cache) return this.executeUncached(call, context, session);
    const plugin = call.plugin.definition.id;
    const key = cacheKey(call.plugin, call.operation, call.input);
    const started = performance.now();
    const status = context.cacheControl === 'no-cache' ? 'bypass' : 'miss';
    if (status !== 'bypass') {
      // The cache is an optimisation: a cache that fails (Redis down) must not fail the call.
      const hit = await cache.store.get(key).catch((err: unknown) => void this.logger.warn({ err, requestId: context.requestId }, 'response cache read failed'));
      if (hit) {
        cache.metrics.cacheRequests.inc({ plugin, result: 'hit' });
        context.onCache?.('hit');
        return { ...hit, usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheCreationInputTokens: 0, costUsd: 0 }, durationMs: Math.round(performance.now() - started) };
      }
    }
    cache.metrics.cacheRequests.inc({ plugin, result: status });
    context.onCache?.(status);
    const body = await this.executeUncached(call, context);
    await cache.store.set(key, body, cache.ttlMs).catch((err: unknown) => this.logger.warn({ err, requestId: context.requestId }, 'response cache write failed'));
    return body;
  }

  private async executeUncached(call: PlannedCall, context: InvocationContext, session?: SessionTurn): Promise<InvocationResult> {
    const { plugin, operation } = call;
    const definition = operation.definition;
    const started = performance.now();
    const event = await this.query({ plugin, operation: operation.name, prompt: call.prepared.prompt, files: call.prepared.files ?? [], context, session, output: {
      outputSchema: operation.outputSchema,
      checkOutput: (output) => {
        const checked = definition.output.safeParse(output);
        if (checked.success) return undefined;
        this.logger.warn({ requestId: context.requestId, plugin: plugin.definition.id, issues: checked.error.issues.length }, 'agent output failed the output schema');
        return 'the structured output does not match the output schema';
      },
    } });
    // The client refused output that fails the schema (checkOutput); a client that does
    // not honour it still cannot hand the caller unchecked data.
    const checked = definition.output.safeParse(event.output);
    if (!checked.success) throw new ClaudeError('invalid_output', 'the structured output does not match the output schema');
    const result = definition.finish ? definition.finish(checked.data, { input: call.input, written: event.writtenFiles }) : checked.data;
    return { result, usage: usageOf(event), durationMs: Math.round(performance.now() - started), sessionId: event.sessionId };
  }

  /** Runs a free-text session turn; the answer is `{ text }`. */
  async converse(plugin: RegisteredPlugin, text: string, files: readonly WorkspaceFile[], session: SessionTurn, context: InvocationContext): Promise<InvocationResult> {
    requirePlugin(context.caller ?? ANONYMOUS, plugin.definition.id);
    this.requireCredentials();
    const started = performance.now();
    const event = await this.query({ plugin, operation: 'message', prompt: text, files, context, session, output: {} });
    return { result: { text: event.text }, usage: usageOf(event), durationMs: Math.round(performance.now() - started), sessionId: event.sessionId };
  }

  /** Guards (plugin limit, concurrency, budget), runs, settles and audits one query. */
  private async query(q: QuerySpec): Promise<ClaudeResult> {
    const { plugin, operation, context, session } = q;
    const caller = context.caller ?? ANONYMOUS;
    const reserve = this.guard.reservationFor(plugin.maxBudgetUsd);
    const started = performance.now();
    const audit = (outcome: string, event?: ClaudeResult) =>
      this.audit.record({
        requestId: context.requestId, key: caller.name, plugin: plugin.definition.id, operation, transport: context.transport ?? 'http', outcome,
        inputTokens: event?.usage.inputTokens ?? 0, outputTokens: event?.usage.outputTokens ?? 0, costUsd: event?.costUsd ?? 0,
        durationMs: Math.round(performance.now() - started), ...(session ? { sessionId: session.id } : {}),
      });
    let admission;
    try {
      await this.pluginLimit?.consume(caller, context.clientIp, plugin.definition.id);
      admission = await this.guard.admit(caller, plugin.definition.id, reserve);
    } catch (err) {
      audit(toPlatformError(err).code);
      throw err;
    }
    const settle = (usd: number) =>
      admission.settle(usd).catch((err: unknown) => this.logger.error({ err, requestId: context.requestId, key: caller.name }, 'could not settle a budget reservation'));
    let event: ClaudeResult;
    try {
      event = await this.run(q);
    } catch (err) {
      await settle(err instanceof ClaudeError && SPENT_ON_FAILURE.has(err.kind) ? reserve : 0);
      audit(toPlatformError(err).code);
      throw err;
    }
    await settle(event.costUsd);
    audit('success', event);
    return event;
  }

  private async run(q: QuerySpec): Promise<ClaudeResult> {
    const { plugin, operation, prompt, files, context, session, output } = q;
    const events = this.client.run({
      requestId: context.requestId || randomUUID(),
      pluginId: plugin.definition.id,
      operation,
      caller: (context.caller ?? ANONYMOUS).name,
      systemPrompt: plugin.definition.systemPrompt,
      prompt,
      files,
      tools: plugin.tools,
      model: plugin.model,
      maxTurns: plugin.maxTurns,
      maxBudgetUsd: plugin.maxBudgetUsd,
      timeoutMs: plugin.timeoutMs,
      signal: context.signal,
      streaming: context.onEvent !== undefined,
      ...output,
      ...(session ? { session } : {}),
    });
    for await (const event of events) {
      context.onEvent?.(event);
      if (event.type === 'result') return event;
    }
    throw new ClaudeError('crash', 'the query ended without a result');
  }
}
