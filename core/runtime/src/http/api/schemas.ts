import { ERROR_CODES } from '@ccp/plugin-api';
import { z } from 'zod';

/** RFC 9457 problem details, as every error is answered. */
export const problemSchema = z
  .object({
    type: z.string().describe('urn:claude-code-platform:problem:<code>; docs/errors.md has a section per code'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('What was wrong and what to do next'),
    code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
    requestId: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('Each bad field of a 400'),
    retryAfterSeconds: z.number().int().optional().describe('Also sent as Retry-After'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; docs/errors.md lists every code.' });

/** What a call used: tokens (cache reads and writes apart) and its settled cost. */
export const usageSchema = z
  .object({
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cacheReadInputTokens: z.number().int(),
    cacheCreationInputTokens: z.number().int(),
    costUsd: z.number().describe('US dollars, rounded to 6 decimals'),
  })
  .meta({ id: 'Usage' });

/** The body of a successful call; `result` is the operation's result schema. */
export function callResultSchema(result: z.ZodType = z.unknown()) {
  return z.object({
    result,
    usage: usageSchema,
    durationMs: z.number().int(),
    sessionId: z.string().describe('The session of a session turn; for a stateless call, the id of the conversation the engine ran (not a session you can continue)'),
  });
}

/** The Server-Sent Events of a streamed call, by event name. */
export const callEvents = {
  start: z.object({ requestId: z.string(), sessionId: z.string().nullable() }).meta({ id: 'StartEvent' }),
  text: z.object({ text: z.string() }).meta({ id: 'TextEvent', description: "The model's text as it is written" }),
  tool: z.object({ name: z.string(), summary: z.string() }).meta({ id: 'ToolEvent', description: 'A tool call: its name and a path or pattern, never file contents' }),
  error: problemSchema,
};

export const pluginSummarySchema = z
  .object({
    id: z.string(),
    version: z.string(),
    description: z.string(),
    engine: z.string(),
    tools: z.object({
      allow: z.array(z.string()),
      mode: z.string(),
      defined: z.array(z.object({ name: z.string(), description: z.string() })).optional().describe("The plugin's own tools, by the name the model sees (mcp__<plugin>__<tool>)"),
    }),
    model: z.string().optional(),
    maxTurns: z.number().int().optional(),
    operations: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        method: z.literal('POST'),
        path: z.string(),
        formats: z
          .array(z.object({ name: z.string(), mediaType: z.string(), description: z.string() }))
          .describe('Reports the result also comes as besides JSON: ask with ?format=<name> or Accept: <mediaType>'),
        inputSchema: z.record(z.string(), z.unknown()).optional(),
        resultSchema: z.record(z.string(), z.unknown()).optional(),
        example: z.unknown().optional(),
      }),
    ),
  })
  .meta({ id: 'Plugin' });

export const sessionViewSchema = z
  .object({
    sessionId: z.string(),
    plugin: z.string(),
    createdAt: z.string(),
    lastActiveAt: z.string(),
    expiresAt: z.string(),
    turns: z.number().int(),
    maxTurns: z.number().int(),
    usage: usageSchema,
  })
  .meta({ id: 'Session' });

export const sessionTurnSchema = z
  .object({
    turn: z.number().int().meta({ description: '1 for the first turn' }),
    at: z.string().meta({ description: 'When it was answered (ISO 8601)' }),
    operation: z.string().meta({ description: 'The operation of a first turn, or `message` for a free-text turn' }),
    input: z.unknown().meta({ description: "What was asked: the operation's validated input, or `{ text }`; null when larger than 16 KiB of JSON (then listed in `omitted`)" }),
    result: z.unknown().meta({ description: 'The answer as the call returned it; null when larger than 16 KiB of JSON (then listed in `omitted`)' }),
    usage: usageSchema,
    durationMs: z.number().int(),
    omitted: z.array(z.enum(['input', 'result'])),
  })
  .meta({ id: 'SessionTurn' });

export const componentHealthSchema = z.object({ status: z.enum(['ok', 'degraded', 'down']), detail: z.string().optional() }).catchall(z.unknown());
export const readinessSchema = z.object({ status: z.enum(['ready', 'degraded', 'not_ready']), components: z.record(z.string(), componentHealthSchema) }).meta({ id: 'Readiness' });

export const breakerSchema = z.object({ state: z.enum(['closed', 'half_open', 'open', 'disabled']), retryAfterSeconds: z.number().int().optional() }).meta({ id: 'Breaker' });

export const keyUsageSchema = z
  .object({
    keys: z.array(
      z.object({
        name: z.string(),
        roles: z.array(z.string()),
        plugins: z.array(z.string()),
        budget: z.object({ dailyUsd: z.number().optional(), monthlyUsd: z.number().optional(), plugins: z.record(z.string(), z.object({ dailyUsd: z.number().optional(), monthlyUsd: z.number().optional() })).optional() }).nullable(),
        inFlight: z.number().int(),
        spentTodayUsd: z.number(),
        spentThisMonthUsd: z.number(),
      }),
    ),
  })
  .meta({ id: 'KeyBudgets' });
