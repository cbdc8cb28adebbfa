import { isAbsolute } from 'node:path';
import { checkPlugin, READ_ONLY_TOOLS, type PluginDefinition } from '@ccp/plugin-api';
import { z } from 'zod';
import { ConfigError } from '../config/config-error';
import type { PlatformConfig, PluginConfig } from '../config/schema';
import { loadPluginModule } from './load-module';
import { loadYamlPlugin } from './yaml-plugin';
import type { RegisteredOperation, RegisteredPlugin } from './registered-plugin';
import { PluginRegistry } from './registry';

/** Every problem found while building the plugin set, reported together (a {@link ConfigError}). */
export class PluginLoadError extends ConfigError {
  override readonly name = 'PluginLoadError';
  constructor(problems: readonly string[]) {
    super('plugins', problems);
  }
}

/**
 * An input field with a default is optional (`io: 'input'` leaves it out of `required`),
 * but generators such as openapi-typescript still type a field carrying `default` as
 * required; the default is stated in the field's description instead.
 */
function defaultInDescription({ jsonSchema: field }: { jsonSchema: Record<string, unknown> }): void {
  if (!('default' in field)) return;
  const said = `Defaults to ${JSON.stringify(field.default)} when left out.`;
  field.description = typeof field.description === 'string' ? `${field.description} ${said}` : said;
  delete field.default;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, ...(io === 'input' ? { override: defaultInDescription } : {}) }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

function operationsOf(plugin: PluginDefinition, problems: string[]): Map<string, RegisteredOperation> {
  const ops = new Map<string, RegisteredOperation>();
  for (const [name, definition] of Object.entries(plugin.operations)) {
    try {
      const outputSchema = jsonSchema(definition.output, 'output');
      const inputSchema = jsonSchema(definition.input, 'input');
      // The planner reads a repository source from the input's `source` field only.
      if (definition.source && !('source' in ((inputSchema.properties ?? {}) as Record<string, unknown>))) {
        problems.push(`plugins.${plugin.id}.operations.${name}.source: the operation takes a repository source, but its input has no "source" field (use repositorySource from @ccp/plugin-api)`);
      }
      ops.set(name, {
        name,
        definition,
        outputSchema,
        inputSchema,
        resultSchema: definition.result ? jsonSchema(definition.result, 'output') : outputSchema,
      });
    } catch (err) {
      problems.push(`plugins.${plugin.id}.operations.${name}: schema cannot be turned into JSON Schema (${(err as Error).message})`);
    }
  }
  return ops;
}

function applyConfig(plugin: PluginDefinition, cfg: PluginConfig, claude: PlatformConfig['claude'], source: string, problems: string[]): RegisteredPlugin {
  const where = `plugins.${plugin.id}`;
  const declared = new Set(plugin.tools.allow);
  const widened = (cfg.tools ?? []).filter((t) => !declared.has(t));
  if (widened.length > 0) {
    problems.push(`${where}.tools: ${widened.join(', ')} not declared by the plugin; config may only narrow its tools (${[...declared].join(', ') || 'none'})`);
  }
  return {
    definition: plugin,
    engine: cfg.engine ?? plugin.engine ?? 'agent',
    tools: { mode: plugin.tools.mode, allow: cfg.tools ? plugin.tools.allow.filter((t) => cfg.tools?.includes(t)) : plugin.tools.allow, ...(plugin.tools.define?.length ? { define: plugin.tools.define } : {}) },
    model: cfg.model ?? plugin.model ?? claude.model,
    maxTurns: cfg.maxTurns ?? plugin.maxTurns,
    maxBudgetUsd: cfg.maxBudgetUsd ?? plugin.maxBudgetUsd,
    timeoutMs: cfg.timeoutMs ?? plugin.timeoutMs ?? claude.timeoutMs,
    cacheable: cfg.cache ?? plugin.tools.allow.every((t) => READ_ONLY_TOOLS.includes(t)),
    source,
    operations: operationsOf(plugin, problems),
  };
}

/** Where a plugin comes from, as boot logs it: `built-in`, `YAML file <path>`, `YAML in config`, `module <path>`, `package <name>`. */
export function pluginSource(cfg: Pick<PluginConfig, 'module' | 'definition'>): string {
  if (cfg.module) return `${cfg.module.startsWith('.') || isAbsolute(cfg.module) ? 'module' : 'package'} ${cfg.module}`;
  if (typeof cfg.definition === 'string') return `YAML file ${cfg.definition}`;
  return cfg.definition !== undefined ? 'YAML in config' : 'built-in';
}

/** An operation's example is published (catalogue, docs, demo): it must be valid input. */
function exampleProblems(plugin: PluginDefinition): string[] {
  return Object.entries(plugin.operations).flatMap(([name, op]) => {
    const checked = op.input.safeParse(op.example);
    return checked.success ? [] : checked.error.issues.map((i) => `${['operations', name, 'example', ...i.path.map(String)].join('.')}: ${i.message} (the example must be valid input)`);
  });
}

/** What loading the configured plugins found: what can be served, and every problem. */
export interface PluginSet {
  readonly plugins: readonly RegisteredPlugin[];
  /** Every plugin id the configuration knows: served, disabled or broken. */
  readonly configured: readonly string[];
  /** Ids with a problem already reported (their section or their plugin): later checks skip them. */
  readonly broken: ReadonlySet<string>;
  readonly problems: readonly string[];
}

/**
 * Loads every built-in (unless its section says `enabled: false`) and each plugin the
 * config adds, from a module or a YAML definition, and checks each against the contract
 * and its section. Never throws: every problem across all plugins is returned.
 * `unparsed` names sections that failed the config schema (reported with it): they count
 * as configured, but nothing is loaded for them.
 */
export function loadPlugins(
  sectionsInConfig: Readonly<Record<string, PluginConfig>>,
  claude: PlatformConfig['claude'],
  builtins: readonly PluginDefinition[],
  baseDir: string,
  unparsed: readonly string[] = [],
): PluginSet {
  const problems: string[] = [];
  const plugins: RegisteredPlugin[] = [];
  const broken = new Set<string>(unparsed);
  const known = new Map(builtins.map((p) => [p.id, p]));
  // Every built-in is served unless its section says `enabled: false`; config adds the rest.
  const sections = new Map<string, PluginConfig>(builtins.map((p) => [p.id, { enabled: true }]));
  for (const [id, cfg] of Object.entries(sectionsInConfig)) sections.set(id, cfg);
  for (const id of unparsed) sections.delete(id);
  for (const [id, cfg] of sections) {
    if (!cfg.enabled) continue;
    const before = problems.length;
    const plugin = loadOne(id, cfg, known, baseDir, problems);
    if (plugin) plugins.push(applyConfig(plugin, cfg, claude, pluginSource(cfg), problems));
    if (problems.length > before) broken.add(id);
  }
  return { plugins, configured: [...sections.keys(), ...unparsed], broken, problems };
}

function loadOne(id: string, cfg: PluginConfig, known: ReadonlyMap<string, PluginDefinition>, baseDir: string, problems: string[]): PluginDefinition | undefined {
  if (cfg.module && cfg.definition !== undefined) {
    problems.push(`plugins.${id}: give "module" or "definition", not both`);
    return undefined;
  }
  let candidate: unknown = known.get(id);
  if (cfg.module) {
    try {
      candidate = loadPluginModule(cfg.module, baseDir);
    } catch (err) {
      problems.push(`plugins.${id}.module: cannot load "${cfg.module}": ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
  }
  if (cfg.definition !== undefined) {
    const yaml = loadYamlPlugin(id, cfg.definition, baseDir);
    const where = typeof cfg.definition === 'string' ? `plugins.${id} (${cfg.definition})` : `plugins.${id}.definition`;
    const inline = typeof cfg.definition !== 'string';
    problems.push(...yaml.problems.map((p) => (inline ? `${where}${p.path ? `.${p.path}` : ''}: ${p.message}` : `${where}: ${p.path ? `${p.path}: ` : ''}${p.message}`)));
    if (!yaml.plugin) return undefined;
    candidate = yaml.plugin;
  }
  if (candidate === undefined) {
    problems.push(`plugins.${id}: no built-in plugin has this id (built-ins: ${[...known.keys()].join(', ')}); set "module" or "definition" to add one`);
    return undefined;
  }
  const label = cfg.module ?? (typeof cfg.definition === 'string' ? cfg.definition : cfg.definition !== undefined ? 'yaml' : 'builtin');
  const contract = checkPlugin(candidate);
  if (contract.length > 0) {
    problems.push(...contract.map((p) => `plugins.${id} (${label}): ${p}`));
    return undefined;
  }
  const plugin = candidate as PluginDefinition;
  if (plugin.id !== id) {
    problems.push(`plugins.${id}: the module declares id "${plugin.id}"; the config key must match it`);
    return undefined;
  }
  const examples = exampleProblems(plugin);
  if (examples.length > 0) {
    problems.push(...examples.map((p) => `plugins.${id} (${label}): ${p}`));
    return undefined;
  }
  return plugin;
}

/**
 * Builds the registry from the config (see {@link loadPlugins}); every problem across all
 * plugins is thrown as one {@link PluginLoadError}.
 */
export function buildRegistry(
  config: PlatformConfig,
  builtins: readonly PluginDefinition[],
  baseDir: string,
): PluginRegistry {
  const set = loadPlugins(config.plugins, config.claude, builtins, baseDir);
  if (set.problems.length > 0) throw new PluginLoadError(set.problems);
  return new PluginRegistry(set.plugins, set.configured);
}
