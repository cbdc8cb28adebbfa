import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BUILTIN_TOOLS, PERMISSION_MODES, workspaceFiles, type OperationDefinition, type PluginDefinition, type WorkspaceFile } from '@ccp/plugin-api';
import Mustache from 'mustache';
import { parse } from 'yaml';
import { z } from 'zod';

const jsonSchemaObject = z.record(z.string(), z.unknown()).refine((s) => s.type === 'object', 'must be a JSON Schema with type: object');

const yamlOperation = z.strictObject({
  description: z.string().min(1),
  input: jsonSchemaObject,
  output: jsonSchemaObject,
  /** Mustache template of the user prompt; `{{field}}` inserts an input field (no HTML escaping). */
  prompt: z.string().min(1),
  /** Input property holding `[{ path, content }]` to place in the workspace. */
  filesFrom: z.string().min(1).optional(),
  /** Files to create in the workspace, each content a Mustache template over the input. */
  files: z.array(z.strictObject({ path: z.string().min(1), content: z.string() })).optional(),
  example: z.record(z.string(), z.unknown()),
});

/** A plugin written entirely in YAML, under `plugins.<id>.definition` or in a file it names. */
export const yamlPluginSchema = z
  .strictObject({
    version: z.string(),
    description: z.string(),
    systemPrompt: z.string().optional(),
    /** Path of a prompt file, relative to the file holding the definition. */
    systemPromptFile: z.string().optional(),
    /** `messages` runs each operation as one Messages API call: no tools, no workspace files. */
    engine: z.enum(['agent', 'messages']).optional(),
    tools: z.strictObject({ allow: z.array(z.enum(BUILTIN_TOOLS)), mode: z.enum(PERMISSION_MODES) }),
    model: z.string().optional(),
    maxTurns: z.number().int().positive().optional(),
    maxBudgetUsd: z.number().positive().optional(),
    timeoutMs: z.number().int().positive().optional(),
    operations: z.record(z.string(), yamlOperation),
  })
  .refine((d) => (d.systemPrompt === undefined) !== (d.systemPromptFile === undefined), 'give exactly one of systemPrompt and systemPromptFile')
  .superRefine((d, ctx) => {
    if (d.engine !== 'messages') return;
    for (const [name, op] of Object.entries(d.operations)) {
      if (op.files || op.filesFrom) ctx.addIssue({ code: 'custom', path: ['operations', name], message: 'engine "messages" has no workspace: put the input in the prompt ({{field}}) instead of files' });
    }
  });

type YamlOperation = z.output<typeof yamlOperation>;

function render(template: string, view: unknown): string {
  return Mustache.render(template, view, undefined, { escape: (v: unknown) => String(v) });
}

function inputSchema(op: YamlOperation): z.ZodType {
  const schema = { additionalProperties: false, ...op.input };
  const base = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  if (!op.filesFrom) return base;
  const files = workspaceFiles();
  const field = op.filesFrom;
  return base.superRefine((value, ctx) => {
    const checked = files.safeParse((value as Record<string, unknown>)[field]);
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: [field, ...issue.path], message: issue.message });
  });
}

function operation(op: YamlOperation): OperationDefinition {
  return {
    description: op.description,
    input: inputSchema(op),
    output: z.fromJSONSchema({ additionalProperties: false, ...op.output } as Parameters<typeof z.fromJSONSchema>[0]),
    example: op.example,
    prepare: (input) => {
      const files: WorkspaceFile[] = [
        ...(op.filesFrom ? ((input as Record<string, unknown>)[op.filesFrom] as WorkspaceFile[]) : []),
        ...(op.files ?? []).map((f) => ({ path: render(f.path, input), content: render(f.content, input) })),
      ];
      return { prompt: render(op.prompt, input), files };
    },
  };
}

/**
 * Builds a plugin from a YAML definition (an object, or the path of a YAML file relative
 * to `baseDir`). The result is checked against the plugin contract like any other plugin.
 */
export function yamlPlugin(id: string, definition: unknown, baseDir: string): PluginDefinition {
  let source = definition;
  let dir = baseDir;
  if (typeof definition === 'string') {
    const file = resolve(baseDir, definition);
    source = parse(readFileSync(file, 'utf8'));
    dir = dirname(file);
  }
  const parsed = yamlPluginSchema.safeParse(source);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(definition)'}: ${i.message}`).join('; '));
  }
  const d = parsed.data;
  const systemPrompt = d.systemPrompt ?? readFileSync(resolve(dir, d.systemPromptFile as string), 'utf8').trim();
  return {
    id,
    version: d.version,
    description: d.description,
    systemPrompt,
    tools: d.tools,
    ...(d.engine ? { engine: d.engine } : {}),
    ...(d.model ? { model: d.model } : {}),
    ...(d.maxTurns ? { maxTurns: d.maxTurns } : {}),
    ...(d.maxBudgetUsd ? { maxBudgetUsd: d.maxBudgetUsd } : {}),
    ...(d.timeoutMs ? { timeoutMs: d.timeoutMs } : {}),
    operations: Object.fromEntries(Object.entries(d.operations).map(([name, op]) => [name, operation(op)])),
  };
}
