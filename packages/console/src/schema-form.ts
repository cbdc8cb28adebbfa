/**
 * What the playground's form needs of a JSON Schema: a starting value, and the field errors
 * the server would give for a value, in its words (zod's default messages, and the
 * descriptions the platform publishes beside its own rules), so a form that would be
 * refused is never sent. Pure functions: no DOM.
 */

/** A JSON Schema node. */
export type Schema = Record<string, unknown>;

/** One field error: a dotted path (`files.0.path`) and a message, as the server's 400 lists them. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const props = (s: Schema): Record<string, Schema> => (obj(s.properties) ? (s.properties as Record<string, Schema>) : {});
const required = (s: Schema): string[] => (Array.isArray(s.required) ? (s.required as string[]) : []);

/** Whether the schema is a list of workspace files (`{ path, content }` items): the form offers a file picker. */
export function isFileList(s: Schema): boolean {
  const items = s.items;
  return typeOf(s) === 'array' && obj(items) && 'path' in props(items) && 'content' in props(items);
}

/** The schema's type, the first non-null one when it lists several. */
export function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return (s.type as string[]).find((t) => t !== 'null');
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.enum)) return typeof s.enum[0];
  if (s.properties) return 'object';
  return undefined;
}

/** A value for a schema: its default, else the empty value of its type with the required properties filled. */
export function emptyValue(s: Schema): unknown {
  if (s.default !== undefined) return structuredClone(s.default);
  switch (typeOf(s)) {
    case 'object':
      return Object.fromEntries(required(s).map((k) => [k, emptyValue(props(s)[k] ?? {})]));
    case 'array':
      return (typeof s.minItems === 'number' && s.minItems > 0 && obj(s.items)) ? [emptyValue(s.items as Schema)] : [];
    case 'string':
      return Array.isArray(s.enum) ? s.enum[0] : '';
    case 'number':
    case 'integer':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    default:
      return '';
  }
}

/** The form's first value: the example when there is one, else {@link emptyValue}. */
export function initialValue(s: Schema, example?: unknown): unknown {
  return example !== undefined ? structuredClone(example) : emptyValue(s);
}

function received(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, 'u').test(value);
  } catch {
    return true; // a pattern this browser cannot compile is left to the server
  }
}

const join = (path: string, key: string | number) => (path ? `${path}.${key}` : String(key));

/** Every field error of `value` against `s`, in the server's words where it publishes them. */
export function validate(s: Schema, value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const add = (message: string, field = path) => errors.push({ field, message });
  const type = typeOf(s);
  if (Array.isArray(s.enum)) {
    if (!s.enum.includes(value)) add(`Invalid option: expected one of ${s.enum.map((e) => JSON.stringify(e)).join('|')}`);
    return errors;
  }
  switch (type) {
    case 'string': {
      if (typeof value !== 'string') return [{ field: path, message: `Invalid input: expected string, received ${received(value)}` }];
      // A workspace path stops at its first broken rule (the server's rules abort); other strings report every rule they break, as zod does.
      const path1 = s.format === 'workspace-path';
      if (typeof s.minLength === 'number' && value.length < s.minLength) {
        add(s.minLength === 1 && path1 ? 'must not be empty' : `Too small: expected string to have >=${s.minLength} characters`);
        if (path1) return errors;
      }
      if (typeof s.maxLength === 'number' && value.length > s.maxLength) {
        add(path1 ? `must be at most ${s.maxLength} characters` : `Too big: expected string to have <=${s.maxLength} characters`);
        if (path1) return errors;
      }
      const custom = obj(s['x-errorMessage']) ? (s['x-errorMessage'] as Record<string, unknown>) : {};
      if (typeof s.pattern === 'string' && !matches(s.pattern, value)) add(typeof custom.pattern === 'string' ? custom.pattern : `Invalid string: must match pattern /${s.pattern}/`);
      // The platform publishes its own path rules as `not: { pattern }` with the message as description; the first broken one is the server's answer.
      for (const rule of Array.isArray(s.allOf) ? (s.allOf as Schema[]) : []) {
        const not = rule.not as Schema | undefined;
        if (not && typeof not.pattern === 'string' && matches(not.pattern, value)) {
          add(typeof rule.description === 'string' ? rule.description : `must not match /${not.pattern}/`);
          break;
        }
      }
      return errors;
    }
    case 'integer':
    case 'number': {
      if (typeof value !== 'number' || Number.isNaN(value)) return [{ field: path, message: `Invalid input: expected number, received ${received(value)}` }];
      if (type === 'integer' && !Number.isInteger(value)) return [{ field: path, message: 'Invalid input: expected int, received number' }];
      if (typeof s.minimum === 'number' && value < s.minimum) add(`Too small: expected number to be >=${s.minimum}`);
      if (typeof s.maximum === 'number' && value > s.maximum) add(`Too big: expected number to be <=${s.maximum}`);
      return errors;
    }
    case 'boolean':
      if (typeof value !== 'boolean') add(`Invalid input: expected boolean, received ${received(value)}`);
      return errors;
    case 'array': {
      if (!Array.isArray(value)) return [{ field: path, message: `Invalid input: expected array, received ${received(value)}` }];
      if (typeof s.minItems === 'number' && value.length < s.minItems) add(s.minItems === 1 && isFileList(s) ? 'submit at least one file' : `Too small: expected array to have >=${s.minItems} items`);
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) add(`Too big: expected array to have <=${s.maxItems} items`);
      if (obj(s.items)) value.forEach((item, i) => errors.push(...validate(s.items as Schema, item, join(path, i))));
      return errors;
    }
    case 'object': {
      if (!obj(value)) return [{ field: path, message: `Invalid input: expected object, received ${received(value)}` }];
      const known = props(s);
      for (const [k, sub] of Object.entries(known)) {
        if (value[k] === undefined) {
          if (!required(s).includes(k)) continue;
          const message = Array.isArray(sub.enum)
            ? `Invalid option: expected one of ${sub.enum.map((e) => JSON.stringify(e)).join('|')}`
            : `Invalid input: expected ${typeOf(sub) === 'integer' ? 'number' : typeOf(sub) ?? 'value'}, received undefined`;
          errors.push({ field: join(path, k), message });
          continue;
        }
        errors.push(...validate(sub, value[k], join(path, k)));
      }
      if (s.additionalProperties === false) {
        const extra = Object.keys(value).filter((k) => !(k in known));
        if (extra.length) errors.push({ field: extra.map((k) => join(path, k)).join(', '), message: `unknown field(s); remove ${extra.join(', ')}` });
      }
      // exactlyOneOf publishes `oneOf: [{ required: [a] }, { required: [b] }, …]`.
      const choices = Array.isArray(s.oneOf) ? (s.oneOf as Schema[]).map((o) => required(o)[0]).filter((k): k is string => typeof k === 'string') : [];
      if (choices.length > 1 && choices.filter((k) => value[k] !== undefined).length !== 1) {
        const quoted = choices.map((k) => `"${k}"`);
        errors.push({ field: join(path, choices[0] as string), message: `give exactly one of ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` });
      }
      if (obj(s.dependentRequired)) {
        for (const [k, needs] of Object.entries(s.dependentRequired as Record<string, string[]>)) {
          if (value[k] !== undefined && needs.some((n) => value[n] === undefined)) errors.push({ field: join(path, k), message: `needs ${needs.map((n) => `"${n}"`).join(', ')}` });
        }
      }
      return errors;
    }
    default:
      return errors;
  }
}
