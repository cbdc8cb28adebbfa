import { dirname } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '@ccp/runtime';

/**
 * The whole plugin catalogue as tests see it: every plugin the shipped config enables
 * (built-ins and the YAML example) plus the example plugin package, loaded by name.
 */
export const catalogue = {
  baseDir: dirname(DEFAULT_CONFIG_FILE),
  plugins: { ...loadConfig({}).config.plugins, 'release-notes': { module: '@ccp/plugin-release-notes' } },
};
