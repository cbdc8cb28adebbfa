import type { z } from 'zod';

/**
 * An object input that takes exactly one of `keys` (say `files` or `diff`). The rule is
 * checked with `message` on the first key, and published in the JSON Schema as
 * `oneOf: [{ required: [key] }, ...]`, one branch per key, so the schema refuses what
 * the server refuses: none of them, or more than one.
 */
export function exactlyOneOf<T extends z.ZodObject, K extends keyof T['shape'] & string>(schema: T, keys: readonly [K, K, ...K[]], message: string) {
  return schema
    .refine((input) => keys.filter((k) => (input as Record<string, unknown>)[k] !== undefined).length === 1, { message, path: [keys[0]] })
    .meta({ oneOf: keys.map((k) => ({ required: [k] })) });
}
