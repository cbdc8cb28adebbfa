import { dirname } from 'node:path';
import { loadServerConfig, SHIPPED_CONFIG_FILE } from '@ccp/server';

/**
 * The whole plugin catalogue as tests see it: every plugin the shipped config enables
 * (built-ins and the YAML example) plus the example plugin package, loaded by name.
 */
export const catalogue = {
  baseDir: dirname(SHIPPED_CONFIG_FILE),
  plugins: { ...loadServerConfig({}).config.plugins, 'release-notes': { module: '@ccp/plugin-release-notes' } },
};
