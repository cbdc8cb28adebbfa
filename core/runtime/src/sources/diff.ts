import type { ChangedFile, ChangeStatus } from '@ccp/plugin-api';

const STATUS: Readonly<Record<string, ChangeStatus>> = { A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type-changed' };

/** One entry of `git diff --name-status -z`. */
export interface NameStatus {
  readonly status: ChangeStatus;
  readonly path: string;
  readonly previousPath?: string;
}

/** Parses `git diff --name-status -z -M` (NUL-separated, so any path comes through whole). */
export function parseNameStatus(out: string): NameStatus[] {
  const parts = out.split('\0');
  const entries: NameStatus[] = [];
  for (let i = 0; i < parts.length; ) {
    const code = parts[i++];
    if (!code) continue;
    const status = STATUS[code[0] as string] ?? 'modified';
    if (status === 'renamed' || status === 'copied') {
      const previousPath = parts[i++] ?? '';
      entries.push({ status, previousPath, path: parts[i++] ?? '' });
    } else entries.push({ status, path: parts[i++] ?? '' });
  }
  return entries;
}

/** Cuts a unified diff into its files' sections, each from its `diff --git` line. */
export function splitPatch(patch: string): string[] {
  if (patch === '') return [];
  const starts: number[] = [];
  if (patch.startsWith('diff --git ')) starts.push(0);
  for (let at = patch.indexOf('\ndiff --git '); at !== -1; at = patch.indexOf('\ndiff --git ', at + 1)) starts.push(at + 1);
  return starts.map((start, n) => patch.slice(start, starts[n + 1] ?? patch.length));
}

/**
 * The changed files of a diff from its name-status list and its patch, which git writes in
 * the same order with the same options. The patch's headers are not parsed for paths: git
 * quotes unusual ones there, and the name-status list has them exactly.
 */
export function changedFiles(nameStatus: string, patch: string): ChangedFile[] {
  const entries = parseNameStatus(nameStatus);
  const sections = splitPatch(patch);
  if (sections.length !== entries.length) throw new Error(`git listed ${entries.length} changed files but wrote ${sections.length} diff sections`);
  return entries.map((entry, n) => {
    const diff = sections[n] as string;
    // A binary file's section has no hunk, only git's one line saying that it differs.
    return { ...entry, binary: !diff.includes('\n@@ ') && /^Binary files .* differ$/m.test(diff), diff };
  });
}
