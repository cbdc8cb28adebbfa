import { posix } from 'node:path';
import { z } from 'zod';

/** Limits for submitted files; defaults fit a code-review sized request. */
export interface WorkspaceFileLimits {
  readonly maxFiles?: number;
  readonly maxFileBytes?: number;
  readonly maxTotalBytes?: number;
}

/**
 * The JSON Schema `format` a workspace path carries for the two path rules no regular
 * expression states: the path is in Unicode Normalization Form C, and no `/`-separated
 * segment is longer than 255 bytes in UTF-8. docs/plugins.md documents it.
 */
export const WORKSPACE_PATH_FORMAT = 'workspace-path';

/** A path rule checked in code: part of {@link WORKSPACE_PATH_FORMAT}. */
interface CodeRule {
  readonly message: string;
  readonly accepts: (path: string) => boolean;
}

/**
 * A path rule a regular expression states, published as it is checked: `refuse` rules
 * become `{ not: { pattern } }`, `require` rules `{ pattern }`. The expressions use the
 * `u` flag, as JSON Schema validators do (ajv by default), and no `i` or `s` flag, which
 * a published `pattern` cannot carry.
 */
type RegexRule = { readonly message: string } & ({ readonly refuse: RegExp } | { readonly require: RegExp });

type PathRule = CodeRule | RegexRule;

const isRegexRule = (rule: PathRule): rule is RegexRule => !('accepts' in rule);

/** Exactly the characters Node's `String.prototype.normalize('NFC')` leaves alone. */
const isNfc = (path: string): boolean => path === path.normalize('NFC');

/** What a file system limits a name to; Linux and macOS refuse longer ones. */
const segmentsFit = (path: string): boolean => path.split('/').every((part) => Buffer.byteLength(part) <= 255);

/**
 * A segment as a case-insensitive file system (macOS, Windows) would match it: any letter
 * case, and the trailing dots and spaces Windows ignores (`.Git. `). Git refuses `.git` in
 * a tree the same way, whatever the host. Only ASCII letters can lower-case to the letters
 * of these names, so the classes below are the whole of "any case".
 */
const CONFIG_NAME = String.raw`\.(?:[Cc][Ll][Aa][Uu][Dd][Ee]|[Mm][Cc][Pp]\.[Jj][Ss][Oo][Nn])[. ]*`;
const GIT_NAME = String.raw`\.[Gg][Ii][Tt][. ]*`;
/** A segment, as a whole: from the start or a `/` to a `/` or the end. */
const segment = (name: string): RegExp => new RegExp(String.raw`(?:^|/)${name}(?:/|$)`, 'u');

/**
 * Every path rule after the length limits, in the order their messages are given: a path
 * breaking several gets the first. Besides escaping the workspace, a path may not plant
 * configuration a tool in the workspace would obey: Claude Code's (`.claude/`, `.mcp.json`)
 * or Git's (`.git/config` can run programs through hooks and `core.fsmonitor`), as any
 * segment, at any depth, in any letter case.
 */
const PATH_RULES: readonly PathRule[] = [
  { message: 'must not contain NUL bytes', refuse: /\u0000/u },
  { message: 'must use forward slashes', refuse: /\\/u },
  { message: 'must be relative to the workspace, not absolute', refuse: /^(?:\/|[A-Za-z]:)/u },
  { message: 'must be NFC-normalised unicode', accepts: isNfc },
  { message: 'must not contain ".." segments', refuse: segment(String.raw`\.\.`) },
  { message: 'must not have a name longer than 255 bytes', accepts: segmentsFit },
  { message: 'must not be Claude Code configuration (.claude/, .mcp.json)', refuse: segment(CONFIG_NAME) },
  { message: 'must not be Git metadata (.git)', refuse: segment(GIT_NAME) },
  { message: 'must not contain control characters', refuse: /\p{Cc}/u },
  // Bidi overrides and zero-width characters make a path read differently than it is.
  { message: 'must not contain invisible or bidirectional format characters', refuse: /\p{Cf}/u },
  // Look-alikes of "." (one dot leader, a fullwidth full stop...) and runs of dots other than ".".
  { message: 'must not contain dot-like segments', refuse: segment(String.raw`(?:[.\u2024\u2025\u2026\uFE52\uFF0E]{2,}|[\u2024\u2025\u2026\uFE52\uFF0E])`) },
  // Ends in "/", or is only "." and empty segments: what posix.normalize() turns into a directory.
  { message: 'must name a file', refuse: /\/$|^(?:\.?\/)*\.?$/u },
];

const passes = (rule: PathRule, path: string): boolean => (isRegexRule(rule) ? ('refuse' in rule ? !rule.refuse.test(path) : rule.require.test(path)) : rule.accepts(path));

/** A rule as published: the keyword, and the message the server gives when it fails. */
const published = (rule: RegexRule): Record<string, unknown> =>
  'refuse' in rule ? { not: { pattern: rule.refuse.source }, description: rule.message } : { pattern: rule.require.source, description: rule.message };

/**
 * A relative path inside a query's workspace. Each rule is checked in order and stops at
 * the first it breaks, so a field gets one message; the same rules are published in the
 * JSON Schema (`minLength`, `maxLength`, one `allOf` entry per regular expression, and the
 * {@link WORKSPACE_PATH_FORMAT} format for the rest).
 */
export const workspacePath = PATH_RULES.reduce(
  (schema, rule) => schema.refine((path) => passes(rule, path), { message: rule.message, abort: true }),
  z.string().min(1, { message: 'must not be empty', abort: true }).max(512, { message: 'must be at most 512 characters', abort: true }),
).meta({
  description: `A relative path inside the workspace, with "/" between names. Besides the rules in allOf: NFC-normalised, and no name longer than 255 bytes in UTF-8 (format "${WORKSPACE_PATH_FORMAT}").`,
  format: WORKSPACE_PATH_FORMAT,
  allOf: PATH_RULES.filter(isRegexRule).map(published),
});

/** Why a relative path is refused, or `undefined` when it is safe inside a workspace. */
export function unsafePathReason(path: string): string | undefined {
  const checked = workspacePath.safeParse(path);
  return checked.success ? undefined : checked.error.issues[0]?.message;
}

/** One submitted file: a safe relative path and its text. */
export const workspaceFile = z.strictObject({ path: workspacePath, content: z.string() });

/**
 * A list of submitted files with limits on count and size. Paths must be unique
 * after normalisation, so two entries can never write the same workspace file.
 * The rules that span several files, and sizes in bytes, are checked in code; the
 * published schema states them in its descriptions, and bounds each file's length in
 * characters by its byte limit (a character is at least one byte).
 */
export function workspaceFiles(limits: WorkspaceFileLimits = {}) {
  const { maxFiles = 50, maxFileBytes = 256 * 1024, maxTotalBytes = 1024 * 1024 } = limits;
  const file = z.strictObject({
    path: workspacePath,
    content: z.string().meta({ description: `The file's text, at most ${maxFileBytes} bytes in UTF-8.`, maxLength: maxFileBytes }),
  });
  return z
    .array(file)
    .min(1, 'submit at least one file')
    .max(maxFiles, `submit at most ${maxFiles} files`)
    .superRefine((files, ctx) => {
      const seen = new Set<string>();
      let total = 0;
      files.forEach((f, i) => {
        const bytes = Buffer.byteLength(f.content, 'utf8');
        total += bytes;
        if (bytes > maxFileBytes) {
          ctx.addIssue({ code: 'custom', path: [i, 'content'], message: `is ${bytes} bytes; the limit is ${maxFileBytes}` });
        }
        const key = posix.normalize(f.path);
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `repeats "${f.path}"` });
        seen.add(key);
      });
      // A file cannot also be a directory of another file ("a" and "a/b").
      files.forEach((f, i) => {
        const parts = posix.normalize(f.path).split('/');
        for (let n = 1; n < parts.length; n++) {
          const dir = parts.slice(0, n).join('/');
          if (seen.has(dir)) {
            ctx.addIssue({ code: 'custom', path: [i, 'path'], message: `puts a file under "${dir}", which is itself a submitted file` });
            break;
          }
        }
      });
      if (total > maxTotalBytes) {
        ctx.addIssue({ code: 'custom', message: `files total ${total} bytes; the limit is ${maxTotalBytes}` });
      }
    })
    .meta({
      description: `Files to place in the workspace, at most ${maxTotalBytes} bytes in UTF-8 together. No two paths may name the same file once "." and empty segments are dropped (a and ./a), and no path may name a directory of another (a and a/b).`,
    });
}
