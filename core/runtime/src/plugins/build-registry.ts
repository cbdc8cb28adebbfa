import { checkPlugin, READ_ONLY_TOOLS, type PluginDefinition } from '@ccp/plugin-api';
import { z } from 'zod';
import type { PlatformConfig, PluginConfig } from '../config/schema';
import { loadPluginModule } from './load-module';
import { yamlPlugin } from './yaml-plugin';
import type { RegisteredOperation, RegisteredPlugin } from './registered-plugin';
import { PluginRegistry } from './registry';

/** Every problem found while building the plugin set, reported together. */
export class PluginLoadError extends Error {
  override readonly name = 'PluginLoadError';
  constructor(readonly problems: readonly string[]) {
    super(`cannot load the configured plugins:\n  - ${problems.join('\n  - ')}`);
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
      ops.set(name, {
        name,
        definition,
        outputSchema,
        inputSchema: jsonSchema(definition.input, 'input'),
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
    tools: { mode: plugin.tools.mode, allow: cfg.tools ? plugin.tools.allow.filter((t) => cfg.tools?.includes(t)) : plugin.tools.allow },
    model: cfg.model ?? plugin.model ?? claude.model,
    maxTurns: cfg.maxTurns ?? plugin.maxTurns,
    maxBudgetUsd: cfg.maxBudgetUsd ?? plugin.maxBudgetUsd,
    timeoutMs: cfg.timeoutMs ?? plugin.timeoutMs ?? claude.timeoutMs,
    cacheable: cfg.cache ?? plugin.tools.allow.every((t) => READ_ONLY_TOOLS.includes(t)),
    source,
    operations: operationsOf(plugin, problems),
  };
}

/**
 * Builds the registry from the config: every built-in (unless its section says
 * `enabled: false`) and each plugin the config adds, loaded from a module or a YAML
 * definition, then checked against the contract. Every
 * problem across all plugins is collected and thrown as one {@link PluginLoadError}.
 */
export function buildRegistry(
  config: PlatformConfig,
  builtins: readonly PluginDefinition[],
  baseDir: string,
): PluginRegistry {
  const problems: string[] = [];
  const plugins: RegisteredPlugin[] = [];
  const known = new Map(builtins.map((p) => [p.id, p]));
  // Every built-in is served unless its section says `enabled: false`; config adds the rest.
  const sections = new Map<string, PluginConfig>(builtins.map((p) => [p.id, { enabled: true }]));
  for (const [id, cfg] of Object.entries(config.plugins)) sections.set(id, cfg);
  for (const [id, cfg] of sections) {
    if (!cfg.enabled) continue;
    let candidate: unknown = known.get(id);
    const source = cfg.module ?? (cfg.definition !== undefined ? 'yaml' : 'builtin');
    if (cfg.module && cfg.definition !== undefined) {
      problems.push(`plugins.${id}: give "module" or "definition", not both`);
      continue;
    }
    if (cfg.module) {
      try {
        candidate = loadPluginModule(cfg.module, baseDir);
      } catch (err) {
        problems.push(`plugins.${id}.module: cannot load "${cfg.module}": ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    if (cfg.definition !== undefined) {
      try {
        candidate = yamlPlugin(id, cfg.definition, baseDir);
      } catch (err) {
        problems.push(`plugins.${id}.definition: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
    }
    if (candidate === undefined) {
      problems.push(`plugins.${id}: no built-in plugin has this id (built-ins: ${[...known.keys()].join(', ')}); set "module" to load one`);
      continue;
    }
    const contract = checkPlugin(candidate);
    if (contract.length > 0) {
      problems.push(...contract.map((p) => `plugins.${id} (${source}): ${p}`));
      continue;
    }
    const plugin = candidate as PluginDefinition;
    if (plugin.id !== id) {
      problems.push(`plugins.${id}: the module declares id "${plugin.id}"; the config key must match it`);
      continue;
    }
    plugins.push(applyConfig(plugin, cfg, config.claude, source, problems));
  }
  if (problems.length > 0) throw new PluginLoadError(problems);
  return new PluginRegistry(plugins, [...sections.keys()]);
}
