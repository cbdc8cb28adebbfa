import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '@ccp/runtime';
import { BUILTIN_PLUGINS } from './builtin-plugins';

/** The configuration shipped with the platform (the top-level `config/default.yaml`). */
export const SHIPPED_CONFIG_FILE = resolve(__dirname, '../../../config/default.yaml');

/**
 * The config `CCP_CONFIG` names, else the shipped one, with the environment's overrides,
 * checked in one pass with the built-in plugins: every problem in the file, its plugins
 * and the plugin ids it names comes in one ConfigError.
 */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfig(env, env.CCP_CONFIG, SHIPPED_CONFIG_FILE, { builtins: BUILTIN_PLUGINS });
}
