import type { PluginRegistry } from '../plugins/registry';

/** The parts of a config that name plugin ids; a part left out (it failed the schema) is not checked. */
export interface PluginIdSources {
  readonly admission?: { readonly plugins: Readonly<Record<string, unknown>> };
  readonly rateLimits?: { readonly plugins: Readonly<Record<string, unknown>> };
  readonly budgets?: { readonly plugins: Readonly<Record<string, unknown>> };
  readonly auth?: { readonly keys: readonly { readonly name: string; readonly plugins: readonly string[]; readonly budget?: { readonly plugins?: Readonly<Record<string, unknown>> } }[] };
}

/** What a check of the plugin ids named in limits, budgets and keys found. */
export interface PluginIdCheck {
  /** Ids that name no plugin at all: each is a boot error. */
  readonly unknown: readonly string[];
  /** Ids of plugins that exist but are disabled: each is a warning. */
  readonly disabled: readonly string[];
}

/**
 * Every plugin id in `admission.plugins`, `rateLimits.plugins`, `budgets.plugins` and the
 * API keys' `plugins` lists must name a plugin the configuration knows; a typo would
 * otherwise silently limit nothing. Each problem is reported with its config path. Ids in
 * `skip` (a plugin whose own problems are already reported) are not checked.
 */
export function checkPluginIds(config: PluginIdSources, registry: PluginRegistry, skip: ReadonlySet<string> = new Set()): PluginIdCheck {
  const unknown: string[] = [];
  const disabled: string[] = [];
  const check = (path: string, id: string) => {
    if (registry.get(id) || skip.has(id)) return;
    if (registry.configured.has(id)) disabled.push(`${path}: plugin "${id}" is disabled`);
    else unknown.push(`${path}: no plugin "${id}" (served: ${registry.list().map((p) => p.definition.id).join(', ') || 'none'})`);
  };
  for (const id of Object.keys(config.admission?.plugins ?? {})) check(`admission.plugins.${id}`, id);
  for (const id of Object.keys(config.rateLimits?.plugins ?? {})) check(`rateLimits.plugins.${id}`, id);
  for (const id of Object.keys(config.budgets?.plugins ?? {})) check(`budgets.plugins.${id}`, id);
  (config.auth?.keys ?? []).forEach((key, i) => {
    for (const id of key.plugins) if (id !== '*') check(`auth.keys.${i}.plugins (key "${key.name}")`, id);
    for (const id of Object.keys(key.budget?.plugins ?? {})) check(`auth.keys.${i}.budget.plugins.${id} (key "${key.name}")`, id);
  });
  return { unknown, disabled };
}
