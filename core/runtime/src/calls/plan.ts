import { InputError, NotFoundError, UnavailableError, type FieldError, type RepositorySource } from '@ccp/plugin-api';
import { z } from 'zod';
import { requirePlugin } from '../auth/middleware';
import type { Caller } from '../auth/caller';
import type { PlatformConfig, Secrets } from '../config/schema';
import type { RegisteredOperation, RegisteredPlugin } from '../plugins/registered-plugin';
import type { PluginRegistry } from '../plugins/registry';
import type { SessionRepository } from '../sessions/session-record';
import { ownedSession } from '../sessions/owned';
import { failClosed } from '../state/unavailable';
import type { Call, CallRequest } from './call';

/** A free-text session message. */
export const messageBody = z.strictObject({ text: z.string().min(1, 'must not be empty').max(100_000) });

/** zod issues as field errors with dotted paths. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => {
    const field = issue.path.join('.');
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
    if (keys) return { field: keys.map((k) => (field ? `${field}.${k}` : k)).join(', '), message: `unknown field(s); remove ${keys.join(', ')}` };
    return { field, message: issue.message };
  });
}

/** Parses a body with a schema, or throws 400 `invalid_input` listing every field error. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown, what: string, hint = ''): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const errors = fieldErrors(parsed.error);
  throw new InputError('invalid_input', `The body does not match ${what}: ${errors.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; ')}.${hint}`, { errors });
}

/** Whether Claude credentials are set; the message says how to set them. */
export function credentialsProblem(secrets: Secrets): string | undefined {
  if (secrets.anthropicApiKey || secrets.claudeOauthToken) return undefined;
  return 'No Anthropic credentials are set. Set ANTHROPIC_API_KEY (or CLAUDE_CODE_OAUTH_TOKEN) in the environment and restart, or run `npm run demo` to try the platform against the offline simulator.';
}

/** The repositories calls may name in a `source` (the configured ones). */
export interface KnownRepositories {
  has(name: string): boolean;
}

const NO_REPOSITORIES: KnownRepositories = { has: () => false };

/** A planned call with the registered plugin and operation it names. */
export interface Planned {
  readonly call: Call;
  readonly plugin: RegisteredPlugin;
  /** Undefined for a free-text session message. */
  readonly operation: RegisteredOperation | undefined;
}

/**
 * Turns what a transport asks for into a {@link Call}, refusing everything refusable before
 * anything runs: an unknown plugin or operation (404), a plugin the caller may not use
 * (403), input that fails the operation's schema (400), a session that is not the caller's
 * (404), a repository source naming a repository that is not configured (400, before
 * anything is fetched), missing credentials (503).
 */
export class Planner {
  constructor(
    private readonly registry: PluginRegistry,
    private readonly secrets: Secrets,
    private readonly sessions: SessionRepository,
    private readonly settings: PlatformConfig['sessions'],
    private readonly now: () => number = Date.now,
    private readonly repositories: KnownRepositories = NO_REPOSITORIES,
    /** Throws when the caller's key was revoked or expired since it authenticated (the Authenticator's check). */
    private readonly stillValid: (caller: Caller) => void = () => undefined,
  ) {}

  /** The input's repository source, when the operation takes one; a repository not configured is a 400. */
  private source(operation: RegisteredOperation, input: unknown): RepositorySource | undefined {
    const source = operation.definition.source ? (input as { source?: RepositorySource }).source : undefined;
    if (source && !this.repositories.has(source.repository)) {
      const message = 'is not a repository this deployment is configured to read';
      throw new InputError('invalid_input', `source.repository: "${source.repository}" ${message}. An operator adds repositories under \`repositories:\` in the config.`, { errors: [{ field: 'source.repository', message }] });
    }
    return source;
  }

  /** The plugin, or a 404 that lists where to look; a 403 when the caller may not use it. */
  plugin(pluginId: string, caller: Caller): RegisteredPlugin {
    const plugin = this.registry.get(pluginId);
    if (!plugin) throw new NotFoundError('plugin_not_found', `There is no plugin "${pluginId}". GET /v1/plugins lists the plugins this deployment serves.`);
    requirePlugin(caller, pluginId);
    return plugin;
  }

  /** The operation of a plugin, or a 404 naming the ones it has. */
  operation(plugin: RegisteredPlugin, name: string): RegisteredOperation {
    const operation = plugin.operations.get(name);
    if (operation) return operation;
    const names = [...plugin.operations.keys()].join(', ');
    throw new NotFoundError('operation_not_found', `Plugin "${plugin.definition.id}" has no operation "${name}". Its operations: ${names}.`);
  }

  /** Throws 503 `credentials_missing` when no credentials are set. */
  requireCredentials(): void {
    const missing = credentialsProblem(this.secrets);
    if (missing) throw new UnavailableError('credentials_missing', missing);
  }

  async plan(request: CallRequest): Promise<Planned> {
    this.stillValid(request.caller);
    const base = { requestId: request.requestId, caller: request.caller, clientIp: request.clientIp, transport: request.transport, streaming: request.streaming, ...(request.jobId ? { jobId: request.jobId } : {}) };
    if (request.kind === 'operation') {
      const plugin = this.plugin(request.plugin, request.caller);
      const operation = this.operation(plugin, request.operation);
      const input = parseBody(operation.definition.input, request.body, `the input of ${request.plugin}/${request.operation}`, ` GET /v1/plugins/${request.plugin} describes the input.`);
      const source = this.source(operation, input);
      this.requireCredentials();
      const call: Call = {
        ...base, plugin: plugin.definition.id, operation: operation.name, input, deadline: this.now() + plugin.timeoutMs,
        ...(request.cacheControl ? { cacheControl: request.cacheControl } : {}), ...(request.session ? { session: request.session } : {}), ...(source ? { source } : {}),
      };
      return { call, plugin, operation };
    }
    const input = parseBody(messageBody, request.body, 'a message ({ text })');
    const record = await ownedSession(this.sessions, request.caller.name, request.sessionId, this.settings, await failClosed(this.sessions.get(request.sessionId)));
    const plugin = this.plugin(record.plugin, request.caller);
    this.requireCredentials();
    const call: Call = { ...base, plugin: plugin.definition.id, operation: 'message', input, session: { id: record.id }, deadline: this.now() + plugin.timeoutMs };
    return { call, plugin, operation: undefined };
  }
}
