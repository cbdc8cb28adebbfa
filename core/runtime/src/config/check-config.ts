import type { PluginDefinition } from '@ccp/plugin-api';
import { checkPluginIds } from '../limits/check-plugin-ids';
import { loadPlugins } from '../plugins/build-registry';
import { PluginRegistry } from '../plugins/registry';
import { pathProblems } from './file-checks';
import { configSchema, type PlatformConfig } from './schema';
import { validateSections } from './validate-config';

/** What {@link checkConfig} needs besides the raw config. */
export interface CheckOptions {
  /**
   * The built-in plugins. Given, the check also loads every plugin (built-ins, modules,
   * YAML definitions) and checks the plugin ids named in limits, budgets and keys.
   */
  readonly builtins?: readonly PluginDefinition[];
  /** Directory that relative plugin paths resolve against. */
  readonly baseDir?: string;
  /** The environment variable that set each config path (named in its problems). */
  readonly via?: ReadonlyMap<string, string>;
}

/** The checked config, or every problem found. */
export interface ConfigCheck {
  readonly config?: PlatformConfig;
  readonly problems: readonly string[];
}

/**
 * Checks a raw config in one pass and returns every problem, each with its config path:
 * the schema (each top-level section and each plugin section on its own), the paths it
 * names on this host, and with `builtins`, every plugin it serves (module load errors,
 * the contract, YAML definitions, tool narrowing) and every cross-reference (plugin ids in
 * `admission`, `rateLimits`, `budgets` and keys), run on whatever sections passed. An id
 * already reported (its section or its plugin is broken) is not reported again as unknown.
 */
export function checkConfig(raw: Record<string, unknown>, options: CheckOptions = {}): ConfigCheck {
  const validated = validateSections(raw, options.via);
  const problems = [...validated.problems, ...pathProblems(raw)];
  if (options.builtins) {
    const { sections } = validated;
    const claude = sections.claude ?? configSchema.shape.claude.parse(undefined);
    const set = loadPlugins(sections.plugins ?? {}, claude, options.builtins, options.baseDir ?? process.cwd(), validated.unparsedPlugins);
    problems.push(...set.problems);
    const sound = set.plugins.filter((p) => !set.broken.has(p.definition.id));
    problems.push(...checkPluginIds(sections, new PluginRegistry(sound, set.configured), set.broken).unknown);
  }
  return problems.length > 0 || !validated.config ? { problems } : { config: validated.config, problems };
}
