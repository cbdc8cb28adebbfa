import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '@ccp/runtime';

/** The configuration shipped with the platform (the top-level `config/default.yaml`). */
export const SHIPPED_CONFIG_FILE = resolve(__dirname, '../../../config/default.yaml');

/** The config `CCP_CONFIG` names, else the shipped one, with the environment's overrides. */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  return loadConfig(env, env.CCP_CONFIG, SHIPPED_CONFIG_FILE);
}
