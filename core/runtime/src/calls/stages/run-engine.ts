import type { Logger } from '@ccp/plugin-api';
import { ClaudeError, type ClaudeResult, type Engine } from '../../engine/types';
import type { CallResult } from '../call';
import { roundUsd } from '../spend';
import type { Stage } from '../pipeline';

const usageOf = (event: ClaudeResult): CallResult['usage'] => ({ ...event.usage, costUsd: roundUsd(event.costUsd) });

/**
 * The last stage: builds the engine request from the plugin's declaration and the
 * operator's config only (a request body reaches nothing but the prompt, the files and,
 * through a configured repository, the tree checked out),
 * runs it, and checks the answer against the operation's output schema.
 */
export function runEngineStage(engine: Engine, logger: Logger): Stage {
  return async (ctx) => {
    const { call, plugin, operation } = ctx;
    const definition = operation?.definition;
    const prepared = ctx.prepared;
    const events = engine.run({
      requestId: call.requestId,
      engine: plugin.engine,
      pluginId: call.plugin,
      operation: call.operation,
      caller: call.caller.name,
      systemPrompt: plugin.definition.systemPrompt,
      prompt: prepared ? prepared.prompt : (call.input as { text: string }).text,
      files: ctx.turn?.files ?? prepared?.files ?? [],
      ...(ctx.source ? { tree: ctx.source.tree } : {}),
      tools: plugin.tools,
      model: plugin.model,
      maxTurns: plugin.maxTurns,
      maxBudgetUsd: plugin.maxBudgetUsd,
      timeoutMs: plugin.timeoutMs,
      signal: ctx.signal,
      streaming: call.streaming,
      ...(operation && definition
        ? {
            outputSchema: operation.outputSchema,
            checkOutput: (output: unknown) => {
              const checked = definition.output.safeParse(output);
              if (checked.success) return undefined;
              logger.warn({ requestId: call.requestId, plugin: call.plugin, issues: checked.error.issues.length }, 'agent output failed the output schema');
              return 'the structured output does not match the output schema';
            },
          }
        : {}),
      ...(ctx.turn ? { session: { id: ctx.turn.id, resume: ctx.turn.resume, prior: ctx.turn.prior } } : {}),
    });
    let result: ClaudeResult | undefined;
    for await (const event of events) {
      ctx.emit(event);
      if (event.type === 'result') {
        result = event;
        break;
      }
    }
    if (!result) throw new ClaudeError('crash', 'the query ended without a result');
    if (!operation || !definition) return { result: { text: result.text }, usage: usageOf(result), durationMs: ctx.elapsedMs, sessionId: result.sessionId };
    // The engine refused output that fails the schema (checkOutput); an engine that does
    // not honour it still cannot hand the caller unchecked data.
    const checked = definition.output.safeParse(result.output);
    if (!checked.success) throw new ClaudeError('invalid_output', 'the structured output does not match the output schema');
    const answer = definition.finish ? definition.finish(checked.data, { input: call.input, written: result.writtenFiles, ...(ctx.source ? { source: ctx.source.resolved } : {}) }) : checked.data;
    return { result: answer, usage: usageOf(result), durationMs: ctx.elapsedMs, sessionId: result.sessionId };
  };
}
