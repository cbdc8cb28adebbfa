import { defineOperation, definePlugin, readPrompt, READ_ONLY_TOOLS, type PreparedQuery } from '@ccp/plugin-api';
import { DIFF_FILE, finishReview } from './finish';
import { REVIEW_FORMATS } from './formats';
import { rulesForPrompt } from './rules';
import { reviewInput, reviewOutput, reviewResult, type ReviewInput } from './schemas';
import { PLUGIN_VERSION } from './version';

/** Builds the user prompt for one review; the files go to the workspace, not the prompt. */
export function renderReviewPrompt(input: ReviewInput): PreparedQuery {
  const lines: string[] = [];
  if (input.diff !== undefined) {
    lines.push(`Review the change in \`${DIFF_FILE}\` (a unified diff).`);
    const context = input.context?.filter((f) => f.path !== DIFF_FILE).map((f) => `- ${f.path}`) ?? [];
    if (context.length > 0) lines.push(`These ${context.length} file(s), as they are after the change, are in your working directory to read (cite their line numbers):`, ...context);
  } else {
    const paths = input.files?.map((f) => `- ${f.path}`) ?? [];
    lines.push(`Review these ${paths.length} file(s) in your working directory:`, ...paths);
  }
  if (input.language) lines.push(`The code is written in ${input.language}.`);
  if (input.focus) lines.push(`Focus on: ${input.focus.join(', ')}.`);
  // A context file that would take the diff's place is left out: the diff is what is reviewed.
  const context = (input.context ?? []).filter((f) => f.path !== DIFF_FILE);
  const files = input.diff !== undefined ? [{ path: DIFF_FILE, content: input.diff }, ...context] : (input.files ?? []);
  return { prompt: lines.join('\n'), files };
}

/** Reviews submitted files or a diff and returns structured findings. Read-only. */
export const codeReviewPlugin = definePlugin({
  id: 'code-review',
  version: PLUGIN_VERSION,
  description: 'Reviews source files or a unified diff and returns structured findings with severities, rule ids, stable fingerprints and suggestions, as JSON, SARIF, GitLab Code Quality, reviewdog rdjson or Markdown.',
  // The rule ids are listed from rules.ts, so the prompt and the output schema cannot disagree.
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`).replace('{{RULES}}', rulesForPrompt()),
  tools: { allow: READ_ONLY_TOOLS, mode: 'dontAsk' },
  maxTurns: 30,
  operations: {
    review: defineOperation({
      description: 'Review files or a diff for correctness, security, performance and maintainability problems.',
      input: reviewInput,
      output: reviewOutput,
      prepare: renderReviewPrompt,
      result: reviewResult,
      finish: (output, { input }) => finishReview(output, input),
      formats: REVIEW_FORMATS,
      example: {
        files: [{ path: 'src/sum.ts', content: 'export function sum(xs: number[]) {\n  let t = 0;\n  for (let i = 0; i <= xs.length; i++) t += xs[i];\n  return t;\n}\n' }],
        language: 'typescript',
        focus: ['correctness'],
      },
    }),
  },
});
