export { BUILTIN_PLUGINS } from './builtin-plugins';
export { loadServerConfig, SHIPPED_CONFIG_FILE } from './shipped-config';
