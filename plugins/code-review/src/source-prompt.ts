import { InputError, type ChangedFile, type ResolvedSource } from '@ccp/plugin-api';
import { filterChanges, instructionsFor, type FilteredFile, type ReviewSettings } from './review-config';

/** Diff put in the prompt at most, after the path filters (as for a submitted `diff`). */
export const MAX_PROMPT_DIFF_BYTES = 1024 * 1024;

const short = (sha: string) => sha.slice(0, 12);

/** A fence longer than any run of backticks in `text`, so the diff cannot close it. */
function fence(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  return '`'.repeat(Math.max(3, longest + 1));
}

/** What a repository review covers: the files reviewed (with their diffs) and those left out. */
export interface SourceReview {
  readonly reviewed: readonly ChangedFile[];
  readonly filtered: readonly FilteredFile[];
}

/** The change's files as the settings split them; a diff over the prompt's budget is a 413 naming the largest files. */
export function sourceReview(source: ResolvedSource, settings: ReviewSettings): SourceReview {
  const { reviewed, filtered } = filterChanges(source.changedFiles, settings);
  const bytes = reviewed.reduce((n, f) => n + Buffer.byteLength(f.diff), 0);
  if (bytes > MAX_PROMPT_DIFF_BYTES) {
    const largest = [...reviewed].sort((a, b) => b.diff.length - a.diff.length).slice(0, 5).map((f) => `${f.path} (${Buffer.byteLength(f.diff)} bytes)`);
    throw new InputError('source_too_large', `The change from ${short(source.mergeBase)} to ${short(source.head.commit)} has ${bytes} bytes of diff to review; at most ${MAX_PROMPT_DIFF_BYTES} fit. The largest: ${largest.join(', ')}. Leave generated files out with "exclude" in .ccp/review.yaml or the request's config, or review a smaller change.`);
  }
  return { reviewed, filtered };
}

/** The prompt lines of a repository review: what changed, the diff, and the repository's instructions. */
export function sourcePrompt(source: ResolvedSource, review: SourceReview, settings: ReviewSettings): string[] {
  const { reviewed, filtered } = review;
  const lines = [
    `Review the change to the repository "${source.repository}" from ${short(source.mergeBase)} (the merge base with ${source.base.ref}) to ${short(source.head.commit)} (${source.head.ref}).`,
    'Your working directory holds the whole repository at the head commit, read-only. Read the code around the change: open the files it touches, and follow the names it uses to where they are defined and used (Grep, Read), whether or not the diff touches those files. Give every path relative to the repository root.',
  ];
  if (reviewed.length === 0) lines.push('The change touches no file to review: say so in the summary and return no findings.');
  else {
    lines.push(`The change touches ${reviewed.length} file(s) to review:`, ...reviewed.map((f) => `- ${f.path} (${f.status}${f.previousPath ? ` from ${f.previousPath}` : ''}${f.binary ? ', binary' : ''})`));
    const diff = reviewed.map((f) => f.diff).join('');
    const f = fence(diff);
    lines.push('The diff (git diff base...head):', `${f}diff`, diff.endsWith('\n') ? diff.slice(0, -1) : diff, f);
  }
  if (filtered.length > 0) lines.push(`Left out by the review configuration, not to be reviewed: ${filtered.map((x) => x.path).join(', ')}.`);
  const instructions = instructionsFor(reviewed, settings.config);
  if (instructions.length > 0) {
    lines.push("The repository's review configuration asks, for these paths:", ...instructions.map((i) => `- ${i.path} (${i.files.join(', ')}): ${i.text}`));
  }
  if (settings.config.minSeverity && settings.config.minSeverity !== 'info') lines.push(`Report only findings of severity ${settings.config.minSeverity} or higher.`);
  if (settings.config.maxFindings) lines.push(`Report at most ${settings.config.maxFindings} findings, the most important first.`);
  return lines;
}
