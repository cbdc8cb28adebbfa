import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** The reviewed text by path, then by 1-based line number: what a fingerprint hashes. */
export type SourceLines = ReadonlyMap<string, ReadonlyMap<number, string>>;

const splitLines = (text: string): string[] => text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));

/** Every line of every submitted file. */
export function linesOfFiles(files: readonly { readonly path: string; readonly content: string }[]): SourceLines {
  return new Map(files.map((f) => [normalisePath(f.path), new Map(splitLines(f.content).map((line, i) => [i + 1, line]))]));
}

/** `+++ b/src/a.ts\t2024-01-01` → `src/a.ts`; `/dev/null` (a deleted file) → undefined. */
function newSidePath(header: string): string | undefined {
  const path = header.slice(4).split('\t')[0]?.trim() ?? '';
  if (path === '/dev/null' || path === '') return undefined;
  return normalisePath(path.startsWith('b/') ? path.slice(2) : path);
}

/**
 * The lines of the new version a unified diff shows: its context and added lines, numbered
 * as in the new file (what a finding's `line` means for a diff). Each hunk is read by its
 * line counts, so a removed line that reads `--- x` is not taken for a file header.
 */
export function linesOfDiff(diff: string): SourceLines {
  const files = new Map<string, Map<number, string>>();
  const lines = splitLines(diff);
  let current: Map<number, string> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.startsWith('+++ ')) {
      const path = newSidePath(line);
      current = path === undefined ? undefined : (files.get(path) ?? new Map<number, string>());
      if (path !== undefined && current) files.set(path, current);
      continue;
    }
    const hunk = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (!hunk || !current) continue;
    let oldLeft = Number(hunk[1] ?? 1);
    let newLeft = Number(hunk[3] ?? 1);
    let next = Number(hunk[2]);
    while ((oldLeft > 0 || newLeft > 0) && i + 1 < lines.length) {
      const body = lines[++i] as string;
      const mark = body[0];
      if (mark === '\\') continue; // "\ No newline at end of file"
      if (mark === '-') oldLeft--;
      else if (mark === '+') {
        current.set(next++, body.slice(1));
        newLeft--;
      } else {
        // A context line (" x", or "" where a tool trimmed the space of an empty one).
        current.set(next++, body.slice(1));
        oldLeft--;
        newLeft--;
      }
    }
  }
  return files;
}

/** `./src//a.ts` → `src/a.ts`. */
export function normalisePath(path: string): string {
  return posix.normalize(path).replace(/^(?:\.\/)+/, '');
}

/** The path of `path` in the source: as given, or without a diff's `a/` or `b/` prefix. Undefined when the source does not have it. */
export function sourcePath(path: string, source: SourceLines): string | undefined {
  const p = normalisePath(path);
  if (source.has(p)) return p;
  const stripped = /^[ab]\//.test(p) ? p.slice(2) : undefined;
  return stripped !== undefined && source.has(stripped) ? stripped : undefined;
}

/** A line as a fingerprint sees it: whitespace at the ends dropped, runs of it inside made one space (re-indenting changes nothing). */
export function normaliseLine(line: string): string {
  return line.replace(/\s+/g, ' ').trim();
}

/** Where a finding points, as its fingerprint needs it. */
export interface Anchor {
  readonly ruleId: string;
  readonly file: string;
  readonly line: number;
  readonly endLine: number;
}

/**
 * What a finding's fingerprint hashes besides its rule and path: the normalised text of
 * its lines, blank ones left out; its line number only when the source does not have
 * those lines (a file that was not submitted, a line a diff does not show).
 */
function anchorText(anchor: Anchor, lines: ReadonlyMap<number, string> | undefined): string {
  const found: string[] = [];
  for (let n = anchor.line; n <= anchor.endLine; n++) {
    const text = lines?.get(n);
    if (text !== undefined) found.push(text);
  }
  if (found.length === 0) return `@line ${anchor.line}`;
  return found.map(normaliseLine).filter((l) => l !== '').join('\n');
}

const hash = (parts: readonly (string | number)[]): string => createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);

/**
 * A fingerprint for each finding, in order: 32 hex digits of SHA-256 over the rule id, the
 * path and the normalised text of the finding's lines, so it stays the same when unrelated
 * lines move the code up or down, and changes when the lines themselves change. Findings
 * with the same rule, path and text are told apart by their order in the file (the n-th of
 * them), which moving the code does not change either.
 */
export function fingerprints(anchors: readonly Anchor[], source: SourceLines): string[] {
  const keyed = anchors.map((a, index) => {
    const path = sourcePath(a.file, source) ?? normalisePath(a.file);
    return { index, a, key: [a.ruleId, path, anchorText(a, source.get(path))] as const };
  });
  const seen = new Map<string, number>();
  const out: string[] = new Array<string>(anchors.length);
  for (const k of [...keyed].sort((x, y) => x.a.line - y.a.line || x.a.endLine - y.a.endLine || x.index - y.index)) {
    const group = k.key.join('\u0000');
    const nth = (seen.get(group) ?? 0) + 1;
    seen.set(group, nth);
    out[k.index] = hash(['ccp-finding-v1', ...k.key, nth]);
  }
  return out;
}
