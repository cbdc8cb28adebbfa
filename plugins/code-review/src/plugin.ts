import { defineOperation, definePlugin, readPrompt, READ_ONLY_TOOLS, type PrepareContext, type PreparedQuery } from '@ccp/plugin-api';
import { DIFF_FILE, finishReview } from './finish';
import { REVIEW_FORMATS } from './formats';
import { limitFindings, REVIEW_CONFIG_PATH, reviewConfig, reviewSettings } from './review-config';
import { rulesForPrompt } from './rules';
import { reviewInput, reviewOutput, reviewResult, type ReviewInput } from './schemas';
import { sourcePrompt, sourceReview } from './source-prompt';
import { PLUGIN_VERSION } from './version';

/**
 * Builds the user prompt for one review; the files go to the workspace, not the prompt. For a
 * repository source the tree is in the workspace already and the diff goes in the prompt.
 */
export function renderReviewPrompt(input: ReviewInput, context: PrepareContext = {}): PreparedQuery {
  const lines: string[] = [];
  const source = input.source ? context.source : undefined;
  if (input.source && !source) throw new Error('a repository review needs its resolved source');
  if (source) {
    const settings = reviewSettings(input.config, source);
    lines.push(...sourcePrompt(source, sourceReview(source, settings), settings));
  } else if (input.diff !== undefined) {
    lines.push(`Review the change in \`${DIFF_FILE}\` (a unified diff).`);
    const beside = input.context?.filter((f) => f.path !== DIFF_FILE).map((f) => `- ${f.path}`) ?? [];
    if (beside.length > 0) lines.push(`These ${beside.length} file(s), as they are after the change, are in your working directory to read (cite their line numbers):`, ...beside);
  } else {
    const paths = input.files?.map((f) => `- ${f.path}`) ?? [];
    lines.push(`Review these ${paths.length} file(s) in your working directory:`, ...paths);
  }
  if (input.language) lines.push(`The code is written in ${input.language}.`);
  if (input.focus) lines.push(`Focus on: ${input.focus.join(', ')}.`);
  // A context file that would take the diff's place is left out: the diff is what is reviewed.
  const beside = (input.context ?? []).filter((f) => f.path !== DIFF_FILE);
  const files = source ? [] : input.diff !== undefined ? [{ path: DIFF_FILE, content: input.diff }, ...beside] : (input.files ?? []);
  return { prompt: lines.join('\n'), files };
}

/** Reviews submitted files, a diff or a configured repository's change and returns structured findings. Read-only. */
export const codeReviewPlugin = definePlugin({
  id: 'code-review',
  version: PLUGIN_VERSION,
  description: 'Reviews source files, a unified diff or a change in a configured repository, and returns structured findings with severities, rule ids, stable fingerprints and suggestions, as JSON, SARIF, GitLab Code Quality, reviewdog rdjson or Markdown.',
  // The rule ids are listed from rules.ts, so the prompt and the output schema cannot disagree.
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`).replace('{{RULES}}', rulesForPrompt()),
  tools: { allow: READ_ONLY_TOOLS, mode: 'dontAsk' },
  maxTurns: 30,
  operations: {
    review: defineOperation({
      description: 'Review files, a diff, or a change in a configured repository (with its whole tree readable) for correctness, security, performance and maintainability problems.',
      input: reviewInput,
      output: reviewOutput,
      source: { configFile: { path: REVIEW_CONFIG_PATH, schema: reviewConfig } },
      prepare: renderReviewPrompt,
      result: reviewResult,
      finish: (output, { input, source }) => {
        if (!source) return finishReview(output, input);
        // A repository review: its configuration decides what was asked and what is reported.
        const settings = reviewSettings(input.config, source);
        const review = sourceReview(source, settings);
        const { kept, omitted } = limitFindings(output.findings, settings.config);
        const reviewed = new Set(output.filesReviewed);
        const submitted = review.reviewed.filter((f) => f.status !== 'deleted').map((f) => f.path);
        return {
          ...finishReview({ ...output, findings: kept }, input, source),
          filesNotReviewed: submitted.filter((p) => !reviewed.has(p)),
          filesFiltered: review.filtered,
          findingsOmitted: omitted,
          source: { repository: source.repository, head: source.head.commit, base: source.base.commit, mergeBase: source.mergeBase },
        };
      },
      formats: REVIEW_FORMATS,
      example: {
        files: [{ path: 'src/sum.ts', content: 'export function sum(xs: number[]) {\n  let t = 0;\n  for (let i = 0; i <= xs.length; i++) t += xs[i];\n  return t;\n}\n' }],
        language: 'typescript',
        focus: ['correctness'],
      },
    }),
  },
});
