import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PluginDefinition } from '@ccp/plugin-api';
import { parseDocument } from 'yaml';
import { ConfigError } from './config-error';
import { applyEnvOverrides } from './env-overrides';
import { mergeLayers, rebaseLayer } from './layers';
import { checkConfig } from './check-config';
import type { PlatformConfig } from './schema';

export { ConfigError };

/** A loaded configuration and where it came from. */
export interface LoadedConfig {
  readonly config: PlatformConfig;
  /** The files read (`<file> over <shipped file>` when layered), or `(defaults)`. */
  readonly source: string;
  /** The files read, lowest layer first: the shipped file, then the operator's. */
  readonly files: readonly string[];
  /** Directory that relative paths in the config (plugin modules) resolve against: the top file's. */
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

/** What {@link loadConfig} checks besides the file itself. */
export interface LoadOptions {
  /** The built-in plugins: given, every plugin and every plugin id the config names is checked too (see {@link checkConfig}). */
  readonly builtins?: readonly PluginDefinition[];
}

/**
 * Reads the shipped config (`shippedFile`: the server package's `config/default.yaml`) and
 * lays the operator's file (`CCP_CONFIG`) over it key by key ({@link mergeLayers}: mappings
 * merge, arrays replace, so `auth.keys` are the operator's alone), then applies the
 * environment overrides, checks everything in one pass ({@link checkConfig}: the schema,
 * the paths it names on this host and, given the built-ins, every plugin and
 * cross-reference) and freezes the result. Relative plugin paths resolve against the
 * file that names them. Throws one {@link ConfigError} listing every problem with its path.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, file = env.CCP_CONFIG, shippedFile = resolve('config/default.yaml'), options: LoadOptions = {}): LoadedConfig {
  const top = file ? resolve(file) : shippedFile;
  if (file && !existsSync(top)) throw new ConfigError(top, [`CCP_CONFIG names a file that does not exist`]);
  const files = [...new Set([shippedFile, top])].filter((f) => existsSync(f));
  const layers = files.map((f, i) => (i < files.length - 1 ? rebaseLayer(readYaml(f), dirname(f)) : readYaml(f)));
  const raw = layers.reduce((lower, upper) => mergeLayers(lower, upper), {});
  const source = files.length === 0 ? '(defaults)' : files.length === 1 ? (files[0] as string) : `${top} over ${shippedFile}`;
  const baseDir = files.length > 0 ? dirname(top) : process.cwd();
  const via = applyEnvOverrides(raw, env);
  const checked = checkConfig(raw, { via, baseDir, builtins: options.builtins });
  if (!checked.config) throw new ConfigError(source, checked.problems);
  return { config: deepFreeze(checked.config), source, files, baseDir };
}

/** Validates a config object given in code (tests, embedding), with the same rules and errors (plugins are checked when the runtime builds them). */
export function parseConfig(raw: unknown): PlatformConfig {
  const checked = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? checkConfig(raw as Record<string, unknown>) : { problems: ['(root): the config must be a mapping'] };
  if (!checked.config) throw new ConfigError('(inline)', checked.problems);
  return deepFreeze(checked.config);
}
