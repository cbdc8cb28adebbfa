import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error';
import { applyEnvOverrides } from './env-overrides';
import { pathProblems } from './file-checks';
import { configSchema, type PlatformConfig } from './schema';

export { ConfigError };

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  readonly config: PlatformConfig;
  /** The file read, or `(defaults)`. */
  readonly source: string;
  /** Directory that relative paths in the config (plugin modules) resolve against. */
  readonly baseDir: string;
}

/** Freezes an object and everything reachable from it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function readYaml(file: string): Record<string, unknown> {
  const doc = parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  const data: unknown = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(file, ['the file must hold a YAML mapping']);
  return data as Record<string, unknown>;
}

/**
 * Reads the config file (`CCP_CONFIG`, else `shippedFile`: the server package's `config/default.yaml`), applies the
 * environment overrides, validates everything at once (the schema, and the paths it names
 * on this host: an `audit.file` that cannot be appended to) and freezes the result.
 * Throws a {@link ConfigError} listing every problem with its path.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.CCP_CONFIG, shippedFile = resolve('config/default.yaml')): LoadedConfig {
  const path = file ? resolve(file) : shippedFile;
  if (file && !existsSync(path)) throw new ConfigError(path, [`CCP_CONFIG names a file that does not exist`]);
  const source = existsSync(path) ? path : '(defaults)';
  const raw = source === path ? readYaml(path) : {};
  const fromEnv = applyEnvOverrides(raw, env);
  const parsed = configSchema.safeParse(raw);
  const problems = (parsed.success ? [] : parsed.error.issues).map((issue) => {
    const key = issue.path.join('.');
    const via = fromEnv.get(key) ? ` (from ${fromEnv.get(key)})` : '';
    return `${key || '(root)'}: ${issue.message}${via}`;
  });
  problems.push(...pathProblems(raw));
  if (!parsed.success || problems.length > 0) throw new ConfigError(source, problems);
  return { config: deepFreeze(parsed.data), source, baseDir: source === path ? dirname(path) : process.cwd() };
}

/** Validates a config object given in code (tests, embedding), with the same rules and errors. */
export function parseConfig(raw: unknown): PlatformConfig {
  const parsed = configSchema.safeParse(raw);
  const problems = [...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)), ...pathProblems(raw)];
  if (!parsed.success || problems.length > 0) throw new ConfigError('(inline)', problems);
  return deepFreeze(parsed.data);
}
