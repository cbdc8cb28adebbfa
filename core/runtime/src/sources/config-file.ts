import { InputError, type FieldError } from '@ccp/plugin-api';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** Largest configuration file read from a repository. */
export const CONFIG_FILE_MAX_BYTES = 64 * 1024;

/** The line a zod issue points at: its value's node, or for an unknown key, the key itself. */
function lineOf(doc: Document, counter: LineCounter, issue: z.core.$ZodIssue): number | undefined {
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const node = doc.getIn(issue.path as unknown[], true);
  if (keys.length > 0 && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === keys[0]);
    const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    if (offset !== undefined) return counter.linePos(offset).line;
  }
  const range = (node as { range?: [number, number, number] } | undefined)?.range;
  if (range) return counter.linePos(range[0]).line;
  return issue.path.length > 0 ? lineOf(doc, counter, { ...issue, path: issue.path.slice(0, -1), code: 'custom' } as z.core.$ZodIssue) : undefined;
}

const problem = (path: string, commit: string, errors: FieldError[]) =>
  new InputError(
    'invalid_repository_config',
    `${path} at ${commit.slice(0, 12)} is not valid: ${errors.map((e) => e.message).join('; ')}. Fix the file in the repository (or send the settings as "config" in the request).`,
    { errors },
  );

/**
 * Parses a YAML configuration file read from a repository and validates it with the
 * operation's schema. An empty file is an empty mapping. A broken file is a 400
 * `invalid_repository_config` whose every error names the line (and the key) at fault.
 */
export function parseConfigFile(text: string, path: string, commit: string, schema: z.ZodType): unknown {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw problem(path, commit, doc.errors.map((e) => ({ field: path, message: `line ${e.linePos?.[0].line ?? '?'}: ${e.message.split(' at line ')[0]?.split('\n')[0]}` })));
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw problem(path, commit, [{ field: path, message: (err as Error).message }]);
  }
  const checked = schema.safeParse(value);
  if (checked.success) return checked.data;
  throw problem(
    path,
    commit,
    checked.error.issues.map((issue) => {
      const key = [...issue.path.map(String), ...(issue.code === 'unrecognized_keys' ? [issue.keys.join(', ')] : [])].join('.');
      const line = lineOf(doc, counter, issue);
      const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
      return { field: path, message: `${line ? `line ${line}: ` : ''}${key ? `${key}: ` : ''}${what}` };
    }),
  );
}
