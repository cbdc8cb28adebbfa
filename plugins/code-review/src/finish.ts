import type { ResolvedSource } from '@ccp/plugin-api';
import { fingerprints, linesOfDiff, linesOfFiles, sourcePath } from './fingerprint';
import { ruleOf } from './rules';
import type { ReviewInput, ReviewOutput, ReviewResult } from './schemas';

/** The path of the one workspace file a diff review gets. */
export const DIFF_FILE = 'review.diff';

/**
 * Turns the agent's answer into the response: each finding gets its end line, the category
 * of its rule, a fingerprint computed from the submitted code and, against an earlier
 * review's fingerprints, `new` or `persisting`; the earlier ones no longer found are
 * `resolved`. The model supplies none of these, so none can be forged by it.
 */
export function finishReview(output: ReviewOutput, input: ReviewInput, repository?: ResolvedSource): ReviewResult {
  // The files as they are after the change, when given whole; else the diff's new side.
  const source =
    input.context !== undefined ? linesOfFiles(input.context)
    : repository ? linesOfDiff(repository.changedFiles.map((f) => f.diff).join(''))
    : input.diff !== undefined ? linesOfDiff(input.diff)
    : linesOfFiles(input.files ?? []);
  const anchored = output.findings.map((f) => ({
    ...f,
    // A path the source knows is written as the source writes it (a diff's `b/src/a.ts` is `src/a.ts`).
    file: sourcePath(f.file, source) ?? f.file,
    endLine: Math.max(f.line, f.endLine ?? f.line),
    // The rule is the more specific claim; a category that disagrees with it yields.
    category: ruleOf(f.ruleId).category,
  }));
  const prints = fingerprints(anchored, source);
  const previous = new Set(input.previous?.fingerprints ?? []);
  const findings = anchored.map((f, i) => {
    const fingerprint = prints[i] as string;
    return { ...f, fingerprint, status: previous.has(fingerprint) ? ('persisting' as const) : ('new' as const) };
  });
  const current = new Set(prints);
  const submitted = input.diff !== undefined ? [DIFF_FILE] : (input.files ?? []).map((f) => f.path);
  const reviewed = new Set(output.filesReviewed);
  return {
    ...output,
    findings,
    filesNotReviewed: submitted.filter((p) => !reviewed.has(p)),
    resolved: [...previous].filter((p) => !current.has(p)),
  };
}
