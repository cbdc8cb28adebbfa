import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pluginShape, workspaceFiles, type OperationDefinition, type PluginDefinition, type WorkspaceFile } from '@ccp/plugin-api';
import Mustache from 'mustache';
import { parseDocument } from 'yaml';
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
  /** A valid input: checked against `input` at load, since the catalogue and the docs publish it. */
  example: z.record(z.string(), z.unknown()),
});

const contract = pluginShape.shape;

/**
 * A plugin written entirely in YAML, under `plugins.<id>.definition` or in a file it names.
 * The contract's own rules (a semantic version, a real prompt, known tools, kebab-case
 * operation names) are part of it, so the whole definition is judged in one pass.
 * Cross-field rules (one system prompt, no files on the messages engine) are checked by
 * {@link loadYamlPlugin} beside it, not as refinements a schema error would skip.
 */
export const yamlPluginSchema = z.strictObject({
  version: contract.version,
  description: contract.description,
  systemPrompt: contract.systemPrompt.optional(),
  /** Path of a prompt file, relative to the file holding the definition. */
  systemPromptFile: z.string().min(1).optional(),
  /** `messages` runs each operation as one Messages API call: no tools, no workspace files. */
  engine: z.enum(['agent', 'messages']).optional(),
  tools: contract.tools,
  model: contract.model,
  maxTurns: contract.maxTurns,
  maxBudgetUsd: contract.maxBudgetUsd,
  timeoutMs: contract.timeoutMs,
  operations: z.record(contract.operations.keyType, yamlOperation).refine((o) => Object.keys(o).length > 0, 'must declare at least one operation'),
});

type YamlOperation = z.output<typeof yamlOperation>;

/** One problem with a YAML definition: a path inside it (empty for the whole) and what is wrong. */
export interface YamlProblem {
  readonly path: string;
  readonly message: string;
}

/** A YAML plugin, built, or every problem that keeps it from being built. */
export interface YamlPlugin {
  readonly plugin?: PluginDefinition;
  readonly problems: readonly YamlProblem[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const errno = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;
const issuesAt = (prefix: string, issues: readonly z.core.$ZodIssue[]): YamlProblem[] =>
  issues.map((i) => ({ path: [prefix, ...i.path.map(String)].filter(Boolean).join('.'), message: i.message }));

function render(template: string, view: unknown): string {
  return Mustache.render(template, view, undefined, { escape: (v: unknown) => String(v) });
}

/** Mustache parses a template on first use: parse it now, so a broken one fails the boot, not a call. */
function templateProblem(path: string, template: unknown): YamlProblem[] {
  if (typeof template !== 'string') return [];
  try {
    Mustache.parse(template);
    return [];
  } catch (err) {
    return [{ path, message: `template does not compile: ${(err as Error).message}` }];
  }
}

function fromJsonSchema(schema: Record<string, unknown>): z.ZodType {
  return z.fromJSONSchema({ additionalProperties: false, ...schema } as Parameters<typeof z.fromJSONSchema>[0]);
}

function withFiles(base: z.ZodType, field: string | undefined): z.ZodType {
  if (!field) return base;
  const files = workspaceFiles();
  return base.superRefine((value, ctx) => {
    const checked = files.safeParse((value as Record<string, unknown>)[field]);
    if (!checked.success) for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: [field, ...issue.path], message: issue.message });
  });
}

/** A JSON Schema of the operation turned into zod, or why it cannot be (only when the schema itself is well-formed). */
function compile(path: string, schema: unknown, problems: YamlProblem[]): z.ZodType | undefined {
  if (!jsonSchemaObject.safeParse(schema).success) return undefined; // the schema check reports it
  try {
    return fromJsonSchema(schema as Record<string, unknown>);
  } catch (err) {
    problems.push({ path, message: `not a JSON Schema the platform can use: ${(err as Error).message}` });
    return undefined;
  }
}

/**
 * Everything about one operation that its schema cannot say: its templates compile, its
 * JSON Schemas turn into validators, `filesFrom` names an input property, and `example`
 * is valid input (it is published in /v1/plugins and the docs). Built when all hold.
 */
function checkOperation(name: string, raw: unknown, engine: unknown): { operation?: OperationDefinition; problems: YamlProblem[] } {
  if (!isRecord(raw)) return { problems: [] };
  const at = `operations.${name}`;
  const problems: YamlProblem[] = [
    ...templateProblem(`${at}.prompt`, raw.prompt),
    ...(Array.isArray(raw.files) ? raw.files.flatMap((f: unknown, i) => (isRecord(f) ? [...templateProblem(`${at}.files.${i}.path`, f.path), ...templateProblem(`${at}.files.${i}.content`, f.content)] : [])) : []),
  ];
  if (engine === 'messages' && (raw.files !== undefined || raw.filesFrom !== undefined)) {
    problems.push({ path: at, message: 'engine "messages" has no workspace: put the input in the prompt ({{field}}) instead of files' });
  }
  const filesFrom = typeof raw.filesFrom === 'string' ? raw.filesFrom : undefined;
  const properties = isRecord(raw.input) && isRecord(raw.input.properties) ? raw.input.properties : {};
  if (filesFrom && isRecord(raw.input) && !(filesFrom in properties)) problems.push({ path: `${at}.filesFrom`, message: `"${filesFrom}" is not a property of the input` });
  const base = compile(`${at}.input`, raw.input, problems);
  const output = compile(`${at}.output`, raw.output, problems);
  const input = base && withFiles(base, filesFrom && filesFrom in properties ? filesFrom : undefined);
  if (input && isRecord(raw.example)) {
    const checked = input.safeParse(raw.example);
    if (!checked.success) problems.push(...issuesAt(`${at}.example`, checked.error.issues).map((p) => ({ ...p, message: `${p.message} (the example must be valid input)` })));
  }
  const parsed = yamlOperation.safeParse(raw);
  if (problems.length > 0 || !parsed.success || !input || !output) return { problems };
  return { operation: operation(parsed.data, input, output), problems };
}

function operation(op: YamlOperation, input: z.ZodType, output: z.ZodType): OperationDefinition {
  return {
    description: op.description,
    input,
    output,
    example: op.example,
    prepare: (value) => {
      const files: WorkspaceFile[] = [
        ...(op.filesFrom ? ((value as Record<string, unknown>)[op.filesFrom] as WorkspaceFile[]) : []),
        ...(op.files ?? []).map((f) => ({ path: render(f.path, value), content: render(f.content, value) })),
      ];
      return { prompt: render(op.prompt, value), files };
    },
  };
}

/** The definition itself, with the directory its relative paths resolve against. */
function readDefinition(definition: unknown, baseDir: string): { value?: unknown; dir: string; problems: YamlProblem[] } {
  if (typeof definition !== 'string') return { value: definition, dir: baseDir, problems: [] };
  const file = resolve(baseDir, definition);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { dir: dirname(file), problems: [{ path: '', message: `cannot read ${file} (${errno(err)})` }] };
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) return { dir: dirname(file), problems: doc.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })) };
  return { value: doc.toJS(), dir: dirname(file), problems: [] };
}

/**
 * Builds a plugin from a YAML definition (an object, or the path of a YAML file relative
 * to `baseDir`), or returns every problem with it at once: its schema, its system prompt,
 * each operation's templates, schemas and example. A built plugin is then checked
 * against the plugin contract like any other.
 */
export function loadYamlPlugin(id: string, definition: unknown, baseDir: string): YamlPlugin {
  const read = readDefinition(definition, baseDir);
  if (read.problems.length > 0) return { problems: read.problems };
  const raw = read.value;
  const parsed = yamlPluginSchema.safeParse(raw);
  const problems: YamlProblem[] = parsed.success ? [] : issuesAt('', parsed.error.issues);
  const d = isRecord(raw) ? raw : {};
  if ((d.systemPrompt === undefined) === (d.systemPromptFile === undefined)) problems.push({ path: '', message: 'give exactly one of systemPrompt and systemPromptFile' });
  let systemPrompt = typeof d.systemPrompt === 'string' ? d.systemPrompt : undefined;
  if (typeof d.systemPromptFile === 'string' && d.systemPrompt === undefined) {
    const file = resolve(read.dir, d.systemPromptFile);
    try {
      systemPrompt = readFileSync(file, 'utf8').trim();
      const checked = contract.systemPrompt.safeParse(systemPrompt);
      if (!checked.success) problems.push(...issuesAt('systemPromptFile', checked.error.issues));
    } catch (err) {
      problems.push({ path: 'systemPromptFile', message: `cannot read ${file} (${errno(err)})` });
    }
  }
  const operations: Record<string, OperationDefinition> = {};
  for (const [name, op] of Object.entries(isRecord(d.operations) ? d.operations : {})) {
    const checked = checkOperation(name, op, d.engine);
    problems.push(...checked.problems);
    if (checked.operation) operations[name] = checked.operation;
  }
  if (!parsed.success || problems.length > 0 || systemPrompt === undefined) return { problems };
  const v = parsed.data;
  const plugin: PluginDefinition = {
    id,
    version: v.version,
    description: v.description,
    systemPrompt,
    tools: v.tools,
    ...(v.engine ? { engine: v.engine } : {}),
    ...(v.model ? { model: v.model } : {}),
    ...(v.maxTurns ? { maxTurns: v.maxTurns } : {}),
    ...(v.maxBudgetUsd ? { maxBudgetUsd: v.maxBudgetUsd } : {}),
    ...(v.timeoutMs ? { timeoutMs: v.timeoutMs } : {}),
    operations,
  };
  return { plugin, problems: [] };
}
