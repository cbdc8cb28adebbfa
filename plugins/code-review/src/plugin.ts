import { defineOperation, definePlugin, readPrompt, READ_ONLY_TOOLS, type PrepareContext, type PreparedQuery } from '@ccp/plugin-api';
import { limitFindings, REVIEW_CONFIG_PATH, reviewConfig, reviewSettings } from './review-config';
import { reviewInput, reviewOutput, reviewResult, type ReviewInput } from './schemas';
import { sourcePrompt, sourceReview } from './source-prompt';

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
    lines.push('Review the change in `review.diff` (a unified diff).');
  } else {
    const paths = input.files?.map((f) => `- ${f.path}`) ?? [];
    lines.push(`Review these ${paths.length} file(s) in your working directory:`, ...paths);
  }
  if (input.language) lines.push(`The code is written in ${input.language}.`);
  if (input.focus) lines.push(`Focus on: ${input.focus.join(', ')}.`);
  const files = source ? [] : input.diff !== undefined ? [{ path: 'review.diff', content: input.diff }] : (input.files ?? []);
  return { prompt: lines.join('\n'), files };
}

/** Reviews submitted files, a diff or a configured repository's change and returns structured findings. Read-only. */
export const codeReviewPlugin = definePlugin({
  id: 'code-review',
  version: '1.0.0',
  description: 'Reviews source files, a unified diff or a change in a configured repository, and returns structured findings with severities and suggestions.',
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`),
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
        const reviewed = new Set(output.filesReviewed);
        if (!source) {
          const submitted = input.diff !== undefined ? ['review.diff'] : (input.files ?? []).map((f) => f.path);
          return { ...output, filesNotReviewed: submitted.filter((p) => !reviewed.has(p)) };
        }
        // A repository review: its configuration decides what was asked and what is reported.
        const settings = reviewSettings(input.config, source);
        const review = sourceReview(source, settings);
        const submitted = review.reviewed.filter((f) => f.status !== 'deleted').map((f) => f.path);
        const { kept, omitted } = limitFindings(output.findings, settings.config);
        return {
          ...output,
          findings: kept,
          filesNotReviewed: submitted.filter((p) => !reviewed.has(p)),
          filesFiltered: review.filtered,
          findingsOmitted: omitted,
          source: { repository: source.repository, head: source.head.commit, base: source.base.commit, mergeBase: source.mergeBase },
        };
      },
      example: {
        files: [{ path: 'src/sum.ts', content: 'export function sum(xs: number[]) {\n  let t = 0;\n  for (let i = 0; i <= xs.length; i++) t += xs[i];\n  return t;\n}\n' }],
        language: 'typescript',
        focus: ['correctness'],
      },
    }),
  },
});
