import type { z } from 'zod';
import { apiKeySchema, configSchema, pluginConfigSchema, type PlatformConfig, type PluginConfig } from './schema';

/** The sections of a config that passed the schema; a section that failed is absent. */
export type ConfigSections = { -readonly [K in keyof PlatformConfig]?: PlatformConfig[K] };

/** What validating a raw config section by section found. */
export interface ValidatedConfig {
  /** The whole config, when every section passed. */
  readonly config?: PlatformConfig;
  /** Each top-level section that passed; `plugins` holds each plugin section that passed. */
  readonly sections: ConfigSections;
  /** Plugin ids whose section failed the schema (reported among the problems). */
  readonly unparsedPlugins: readonly string[];
  readonly problems: readonly string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a raw config one top-level section at a time, and each plugin section on its
 * own, so an error in one hides nothing about the others and the checks that need a
 * section (plugin loading, plugin ids in limits and keys) can still run on every section
 * that passed. `via` names the environment variable that set a path, for the messages.
 */
export function validateSections(raw: Record<string, unknown>, via: ReadonlyMap<string, string> = new Map()): ValidatedConfig {
  const shape = configSchema.shape;
  const problems: string[] = [];
  const sections: Record<string, unknown> = {};
  const unparsedPlugins: string[] = [];
  const report = (prefix: readonly PropertyKey[], issues: readonly z.core.$ZodIssue[]) => {
    for (const issue of issues) {
      const key = [...prefix, ...issue.path].map(String).join('.');
      const from = via.get(key);
      problems.push(`${key || '(root)'}: ${issue.message}${from ? ` (from ${from})` : ''}`);
    }
  };
  const keys = [...new Set([...Object.keys(raw), ...Object.keys(shape)])];
  for (const key of keys) {
    if (!(key in shape)) {
      problems.push(`${key}: not a configuration key (the keys: ${Object.keys(shape).join(', ')})`);
      continue;
    }
    const value = raw[key];
    if (key === 'plugins' && isRecord(value)) {
      const plugins: Record<string, PluginConfig> = {};
      for (const [id, section] of Object.entries(value)) {
        const parsed = pluginConfigSchema.safeParse(section);
        if (parsed.success) plugins[id] = parsed.data;
        else {
          unparsedPlugins.push(id);
          report(['plugins', id], parsed.error.issues);
        }
      }
      sections.plugins = plugins;
      continue;
    }
    const parsed = shape[key as keyof typeof shape].safeParse(value);
    if (parsed.success) sections[key] = parsed.data;
    else {
      report([key], parsed.error.issues);
      if (key === 'auth') sections.auth = authForChecks(value);
    }
  }
  if (problems.length > 0) return { sections: sections as ConfigSections, unparsedPlugins, problems };
  // Every section passed: the whole schema gives the result, so nothing differs from it.
  const whole = configSchema.safeParse(raw);
  if (!whole.success) {
    report([], whole.error.issues);
    return { sections: sections as ConfigSections, unparsedPlugins, problems };
  }
  return { config: whole.data, sections: whole.data, unparsedPlugins, problems };
}

/**
 * An `auth` section that failed the schema still has keys whose plugin ids can be checked:
 * each key that passes on its own keeps its place (and so its `auth.keys.<i>` path); the
 * others stand in with nothing to check.
 */
function authForChecks(value: unknown): PlatformConfig['auth'] {
  const keys = isRecord(value) && Array.isArray(value.keys) ? value.keys : [];
  return {
    enabled: true,
    keys: keys.map((k: unknown) => {
      const parsed = apiKeySchema.safeParse(k);
      return parsed.success ? parsed.data : { name: '(invalid)', sha256: '', roles: ['user'], plugins: [] };
    }),
  };
}
