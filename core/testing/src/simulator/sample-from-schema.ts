/** A JSON Schema node, as loosely as the simulator needs to read one. */
type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minItems?: number;
  minimum?: number;
  minLength?: number;
  default?: unknown;
};

/**
 * Builds a deterministic value that satisfies a JSON Schema, the way a model answers
 * the CLI's `StructuredOutput` tool. Strings name the property they fill, so a reader
 * of a demo response can tell simulated text from real output.
 */
export function sampleFromSchema(schema: unknown, name = 'value'): unknown {
  const s = (schema ?? {}) as Schema;
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alt = s.anyOf ?? s.oneOf;
  if (alt?.length) return sampleFromSchema(alt.find((a) => a.type !== 'null') ?? alt[0], name);
  if (s.allOf?.length) return Object.assign({}, ...s.allOf.map((a) => sampleFromSchema(a, name)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type ?? (s.properties ? 'object' : 'string')) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(s.properties ?? {})) out[key] = sampleFromSchema(child, key);
      return out;
    }
    case 'array':
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sampleFromSchema(s.items, singular(name)));
    case 'integer':
    case 'number':
      return Math.max(1, s.minimum ?? 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const text = `simulated ${name}`;
      return text.padEnd(s.minLength ?? 0, '.');
    }
  }
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}
