import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { PluginDefinition } from './plugin';
import { definedToolName, toolShape } from './define-tool';
import { BUILTIN_TOOLS, PERMISSION_MODES, READ_ONLY_TOOLS } from './tools';

const kebab = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
const semver = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

// Duck-typed, so a plugin package that brings its own copy of zod 4 still passes.
const zodSchema = z.custom<z.ZodType>(
  (v) => typeof v === 'object' && v !== null && '_zod' in v && typeof (v as z.ZodType).safeParse === 'function',
  'must be a zod 4 schema',
);

/** Media types the runtime answers itself; a format cannot take them. */
const RESERVED_MEDIA_TYPES = ['application/json', 'text/event-stream', 'application/problem+json'];

const formatShape = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/, 'must be lower-case kebab-case, e.g. sarif')
    .refine((n) => n !== 'json', '"json" is the default answer and cannot be a format name'),
  mediaType: z
    .string()
    .regex(/^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/, 'must be a media type without parameters, e.g. application/sarif+json')
    .refine((m) => !RESERVED_MEDIA_TYPES.includes(m), `must not be ${RESERVED_MEDIA_TYPES.join(', ')} (the runtime answers those itself)`),
  description: z.string().min(1),
  schema: z.record(z.string(), z.unknown()).optional(),
  render: z.custom<(r: unknown, c: unknown) => unknown>((v) => typeof v === 'function', 'must be a function'),
});

const unique = (key: 'name' | 'mediaType') => (formats: readonly { name: string; mediaType: string }[]) => new Set(formats.map((f) => f[key])).size === formats.length;

const operationShape = z.strictObject({
  description: z.string().min(1),
  input: zodSchema,
  output: zodSchema,
  prepare: z.custom<(i: unknown) => unknown>((v) => typeof v === 'function', 'must be a function'),
  example: z.unknown(),
  finish: z.custom<(o: unknown, c: unknown) => unknown>((v) => typeof v === 'function', 'must be a function').optional(),
  result: zodSchema.optional(),
  formats: z
    .array(formatShape)
    .refine(unique('name'), 'must not repeat a format name')
    .refine(unique('mediaType'), 'must not repeat a media type')
    .optional(),
  source: z.strictObject({ configFile: z.strictObject({ path: z.string().min(1), schema: zodSchema }).optional() }).optional(),
});

/** The shape every plugin must have; the registry applies it to plugins loaded from config too. */
export const pluginShape = z.strictObject({
  id: z.string().regex(kebab, 'must be kebab-case, e.g. code-review'),
  version: z.string().regex(semver, 'must be a semantic version, e.g. 1.0.0'),
  description: z.string().min(1),
  systemPrompt: z.string().min(20, 'must be a real system prompt (20 characters or more)'),
  tools: z.strictObject({
    allow: z.array(z.enum(BUILTIN_TOOLS)).refine((a) => new Set(a).size === a.length, 'must not repeat a tool'),
    mode: z.enum(PERMISSION_MODES),
    define: z.array(toolShape).refine((d) => new Set(d.map((t) => t.name)).size === d.length, 'must not repeat a tool name').optional(),
  }),
  /** The engine that runs its operations (`agent`, the Claude Code CLI, when absent). */
  engine: z.string().regex(kebab, 'must be an engine name, e.g. agent').optional(),
  model: z.string().min(1).optional(),
  maxTurns: z.number().int().positive().optional(),
  maxBudgetUsd: z.number().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  operations: z
    .record(
      z.string().regex(kebab, 'operation names must be kebab-case').refine((n) => n !== 'sessions', '"sessions" is reserved for /v1/plugins/:id/sessions'),
      operationShape,
    )
    .refine((o) => Object.keys(o).length > 0, 'must declare at least one operation'),
}).superRefine((plugin, ctx) => {
  // The Messages API takes tool names of at most 64 characters.
  (plugin.tools.define ?? []).forEach((t, i) => {
    const seen = definedToolName(plugin.id, t.name);
    if (seen.length > 64) ctx.addIssue({ code: 'custom', path: ['tools', 'define', i, 'name'], message: `the model would see "${seen}" (${seen.length} characters; at most 64): shorten the tool name or the plugin id` });
  });
  // A repository's tree is materialised read-only, and is the whole repository: no tool may change it.
  const writes = plugin.tools.allow.filter((t) => !READ_ONLY_TOOLS.includes(t));
  if (writes.length === 0) return;
  for (const [name, op] of Object.entries(plugin.operations)) {
    if (op.source) ctx.addIssue({ code: 'custom', path: ['operations', name, 'source'], message: `only plugins with read-only tools (${READ_ONLY_TOOLS.join(', ')}) may take a repository source; this one has ${writes.join(', ')}` });
  }
});

/** Thrown when a plugin does not satisfy the contract; lists every problem at once. */
export class PluginDefinitionError extends Error {
  override readonly name = 'PluginDefinitionError';
  constructor(
    readonly pluginId: string,
    readonly problems: readonly string[],
  ) {
    super(`plugin "${pluginId}" does not satisfy the plugin contract:\n  - ${problems.join('\n  - ')}`);
  }
}

/** Checks a value against the plugin contract and returns every problem found. */
export function checkPlugin(value: unknown): string[] {
  const parsed = pluginShape.safeParse(value);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(plugin)'}: ${i.message}`);
}

/**
 * Declares a plugin. Checks the declaration at once so a broken plugin fails when its
 * module loads, naming the plugin and every problem, not at its first request.
 */
export function definePlugin<P extends PluginDefinition>(plugin: P): Readonly<P> {
  const problems = checkPlugin(plugin);
  if (problems.length > 0) {
    const id = typeof (plugin as { id?: unknown }).id === 'string' ? plugin.id : '(unnamed)';
    throw new PluginDefinitionError(id, problems);
  }
  return Object.freeze(plugin);
}

/** Reads a prompt file that ships beside the plugin (e.g. `prompt('prompt.md', __dirname + '/..')`). */
export function readPrompt(file: string, baseDir: string): string {
  return readFileSync(`${baseDir}/${file}`, 'utf8').trim();
}
