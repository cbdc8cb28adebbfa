import type { z } from 'zod';
import type { PrepareContext, ResolvedSource, SourceSupport } from './source';
import type { ToolPolicy } from './tools';
import type { WorkspaceFile } from './workspace-file';

/** What an operation hands the agent: the user prompt and the files for its workspace. */
export interface PreparedQuery {
  readonly prompt: string;
  readonly files?: readonly WorkspaceFile[];
}

/**
 * One REST operation of a plugin: `POST /v1/plugins/:id/:operation`.
 * `input` validates the request body; `output` is turned into a JSON Schema, sent as
 * the SDK's `outputFormat`, and the agent's answer is validated against it again.
 */
export interface OperationDefinition<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly input: I;
  readonly output: O;
  /**
   * The input may carry a repository `source` field (see `repositorySource`) instead of
   * files: the platform resolves it, puts the head tree in the workspace and hands the
   * result to `prepare` and `finish`. Only plugins with read-only tools may declare it.
   */
  readonly source?: SourceSupport;
  /**
   * Turns validated input into the prompt and the workspace files. Pure; no I/O: what the
   * platform read for the input (a repository source) comes in `context`. It may throw an
   * `InputError`, which the caller gets before anything runs.
   */
  prepare(input: z.output<I>, context: PrepareContext): PreparedQuery;
  /** A valid input, used by the contract test, the docs and the demo. */
  readonly example: z.input<I>;
  /**
   * Turns the agent's validated answer into the response `result`, with what the platform
   * saw (e.g. the files the agent wrote in its workspace). Identity when absent.
   */
  finish?(output: z.output<O>, context: FinishContext<z.output<I>>): unknown;
  /** Schema of what `finish` returns, for the API description; `output` when absent. */
  readonly result?: z.ZodType;
  /**
   * Other documents the result can be answered as besides JSON (a SARIF log, a Markdown
   * summary …), chosen by the caller with `Accept` or `?format=`. Each renders the result
   * `finish` returned; none when absent.
   */
  readonly formats?: readonly ResultFormat<unknown, z.output<I>>[];
}

/**
 * One format an operation's result can be answered in. The runtime picks it by `name`
 * (`?format=<name>`) or by `mediaType` (`Accept`), renders the call's result with it and
 * answers with `Content-Type: mediaType`.
 */
export interface ResultFormat<R = unknown, I = unknown> {
  /** Lower-case kebab-case, unique within the operation; `json` is the default answer and cannot be taken. */
  readonly name: string;
  /** `type/subtype`, unique within the operation; not `application/json` or `text/event-stream`. */
  readonly mediaType: string;
  readonly description: string;
  /** JSON Schema of the rendered document, for the API description; any value when absent. */
  readonly schema?: Readonly<Record<string, unknown>>;
  /**
   * Renders one result (what `finish` returned, typed by the plugin: the method's parameters
   * are checked bivariantly, so a format of `ReviewResult` fits here). A string is sent as it
   * is; anything else as JSON. Pure: no I/O, nothing but the result and the call's input.
   */
  render(result: R, context: RenderContext<I>): unknown;
}

/** What a renderer learns besides the result. */
export interface RenderContext<I = unknown> {
  /** The call's validated input. */
  readonly input: I;
}

/** What `finish` learns besides the agent's answer. */
export interface FinishContext<I = unknown> {
  readonly input: I;
  /** Files the agent created or changed in its workspace (only for plugins that may write). */
  readonly written: readonly WorkspaceFile[];
  /** The repository source as it was resolved, when the input named one. */
  readonly source?: ResolvedSource;
}

/** Limits an operator may also set per plugin in config. */
export interface PluginLimits {
  readonly model?: string;
  readonly maxTurns?: number;
  readonly maxBudgetUsd?: number;
  readonly timeoutMs?: number;
}

/** A plugin: data plus small functions. No classes, no container, no express. */
export interface PluginDefinition extends PluginLimits {
  /** kebab-case, unique; the URL segment in `/v1/plugins/:id`. */
  readonly id: string;
  /** Semantic version of the plugin (its prompt and schemas). */
  readonly version: string;
  readonly description: string;
  readonly systemPrompt: string;
  /**
   * The engine that runs the plugin's operations: `agent` (the Claude Code CLI, the
   * default). The runtime checks at boot that it is available.
   */
  readonly engine?: string;
  readonly tools: ToolPolicy;
  readonly operations: Readonly<Record<string, OperationDefinition>>;
}

/** Declares one operation with its input type inferred for `prepare` and `example`. */
export function defineOperation<I extends z.ZodType, O extends z.ZodType>(
  operation: OperationDefinition<I, O>,
): OperationDefinition {
  return operation as unknown as OperationDefinition;
}
