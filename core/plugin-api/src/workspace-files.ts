import { posix } from 'node:path';
import { z } from 'zod';

/** Limits for submitted files; defaults fit a code-review sized request. */
export interface WorkspaceFileLimits {
  readonly maxFiles?: number;
  readonly maxFileBytes?: number;
  readonly maxTotalBytes?: number;
}

/**
 * A segment as a case-insensitive file system (macOS, Windows) would match it: lower case,
 * without the trailing dots and spaces Windows ignores. Git refuses `.git` in a tree the
 * same way, whatever the host.
 */
const comparable = (segment: string): string => segment.toLowerCase().replace(/[. ]+$/, '');

/**
 * Why a relative path is refused, or `undefined` when it is safe inside a workspace.
 * Besides escaping it, a path may not plant configuration a tool in the workspace would
 * obey: Claude Code's (`.claude/`, `.mcp.json`) or Git's (`.git/config` can run programs
 * through hooks and `core.fsmonitor`), as any segment, at any depth, in any letter case.
 */
export function unsafePathReason(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > 512) return 'must be at most 512 characters';
  if (path.includes('\0')) return 'must not contain NUL bytes';
  if (path.includes('\\')) return 'must use forward slashes';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'must be relative to the workspace, not absolute';
  if (path !== path.normalize('NFC')) return 'must be NFC-normalised unicode';
  const parts = path.split('/');
  if (parts.some((part) => part === '..')) return 'must not contain ".." segments';
  if (parts.some((part) => Buffer.byteLength(part) > 255)) return 'must not have a name longer than 255 bytes';
  const names = parts.map(comparable);
  if (names.some((n) => n === '.claude' || n === '.mcp.json')) return 'must not be Claude Code configuration (.claude/, .mcp.json)';
  if (names.includes('.git')) return 'must not be Git metadata (.git)';
  if (/\p{Cc}/u.test(path)) return 'must not contain control characters';
  // Bidi overrides and zero-width characters make a path read differently than it is.
  if (/\p{Cf}/u.test(path)) return 'must not contain invisible or bidirectional format characters';
  if (parts.some((part) => /^[.\u2024\u2025\u2026\uFE52\uFF0E]+$/u.test(part) && part !== '.')) return 'must not contain dot-like segments';
  const normal = posix.normalize(path);
  if (normal === '.' || normal.endsWith('/')) return 'must name a file';
  return undefined;
}

/** One submitted file: a safe relative path and its text. */
export const workspaceFile = z.strictObject({
  path: z.string().superRefine((p, ctx) => {
    const reason = unsafePathReason(p);
    if (reason) ctx.addIssue({ code: 'custom', message: reason });
  }),
  content: z.string(),
});

/**
 * A list of submitted files with limits on count and size. Paths must be unique
 * after normalisation, so two entries can never write the same workspace file.
 */
export function workspaceFiles(limits: WorkspaceFileLimits = {}) {
  const { maxFiles = 50, maxFileBytes = 256 * 1024, maxTotalBytes = 1024 * 1024 } = limits;
  return z
    .array(workspaceFile)
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
    });
}
