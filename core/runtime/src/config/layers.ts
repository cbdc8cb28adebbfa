import { isAbsolute, resolve } from 'node:path';

type Mapping = Record<string, unknown>;

const isMapping = (v: unknown): v is Mapping => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPath = (spec: string) => spec.startsWith('.') || isAbsolute(spec);

/**
 * Lays `upper` over `lower`, key by key: mappings merge, anything else (arrays included,
 * so `auth.keys` and `tools` lists) is replaced by the upper value. A plugin's source is
 * one choice: an upper section that gives `module` or `definition` replaces both, and a
 * `definition` is replaced whole, never merged with another plugin's.
 */
export function mergeLayers(lower: Mapping, upper: Mapping, path: readonly string[] = []): Mapping {
  const out: Mapping = { ...lower };
  const pluginSection = path.length === 2 && path[0] === 'plugins';
  if (pluginSection && ('module' in upper || 'definition' in upper)) {
    delete out.module;
    delete out.definition;
  }
  for (const [key, value] of Object.entries(upper)) {
    const below = out[key];
    const atomic = pluginSection && key === 'definition';
    out[key] = !atomic && isMapping(below) && isMapping(value) ? mergeLayers(below, value, [...path, key]) : value;
  }
  return out;
}

/**
 * Makes the plugin paths of a layer absolute, against the directory of the file that holds
 * them, so they still point at the same files once another file is laid over it (whose
 * directory the remaining relative paths resolve against). Package names stay as they are.
 */
export function rebaseLayer(layer: Mapping, dir: string): Mapping {
  if (!isMapping(layer.plugins)) return layer;
  const plugins: Mapping = {};
  for (const [id, section] of Object.entries(layer.plugins)) {
    if (!isMapping(section)) {
      plugins[id] = section;
      continue;
    }
    const s: Mapping = { ...section };
    if (typeof s.module === 'string' && isPath(s.module)) s.module = resolve(dir, s.module);
    if (typeof s.definition === 'string') s.definition = resolve(dir, s.definition);
    else if (isMapping(s.definition) && typeof s.definition.systemPromptFile === 'string') {
      s.definition = { ...s.definition, systemPromptFile: resolve(dir, s.definition.systemPromptFile) };
    }
    plugins[id] = s;
  }
  return { ...layer, plugins };
}
