import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Loads the plugin a module exports: its `default` export, an export named `plugin`,
 * or its only export whose name ends in `Plugin`. `specifier` is a path relative to
 * the config file's directory, or a package name resolved from there.
 */
export function loadPluginModule(specifier: string, baseDir: string): unknown {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  const target = isPath ? resolve(baseDir, specifier) : specifier;
  const require = createRequire(join(baseDir, 'noop.js'));
  const mod = require(require.resolve(target, { paths: [baseDir, process.cwd()] })) as Record<string, unknown>;
  if (mod.default !== undefined) return mod.default;
  if (mod.plugin !== undefined) return mod.plugin;
  const named = Object.keys(mod).filter((k) => k.endsWith('Plugin'));
  if (named.length === 1) return mod[named[0] as string];
  throw new Error(`exports no plugin: export it as "default", "plugin" or one "<name>Plugin" (found: ${Object.keys(mod).join(', ') || 'nothing'})`);
}
