import { exactlyOneOf, repositorySource, workspaceFiles } from '@ccp/plugin-api';
import { z } from 'zod';
import { reviewConfig } from './review-config';

/** Areas a caller can ask the reviewer to concentrate on. */
export const FOCUS_AREAS = ['correctness', 'security', 'performance', 'maintainability', 'style'] as const;

/**
 * `review` input: files, a unified diff, or a configured repository's change (exactly one,
 * published as `oneOf`); `config` only with a repository (published as `dependentRequired`).
 */
export const reviewInput = exactlyOneOf(
  z.strictObject({
    files: workspaceFiles({ maxFiles: 50, maxFileBytes: 256 * 1024, maxTotalBytes: 1024 * 1024 }).optional(),
    diff: z.string().min(1).max(1024 * 1024, 'diff must be at most 1 MiB').optional(),
    source: repositorySource.optional(),
    config: reviewConfig.optional(),
    language: z.string().min(1).max(40).optional(),
    focus: z.array(z.enum(FOCUS_AREAS)).min(1).max(FOCUS_AREAS.length).optional(),
  }),
  ['files', 'diff', 'source'],
  'give exactly one of "files", "diff" or "source"',
)
  .refine((input) => input.config === undefined || input.source !== undefined, { message: 'applies to a repository review only: give "source" with it', path: ['config'] })
  .meta({ dependentRequired: { config: ['source'] } });

/** One problem the reviewer found. */
export const finding = z.strictObject({
  file: z.string().describe('Path of the file exactly as submitted'),
  line: z.number().int().min(1).describe('1-based line number in that file'),
  severity: z.enum(['critical', 'high', 'medium', 'low', 'info']),
  category: z.enum(FOCUS_AREAS),
  message: z.string().describe('What is wrong and why it matters'),
  suggestion: z.string().describe('The concrete change to make'),
});

/** `review` output, structured so tools can act on it. */
export const reviewOutput = z.strictObject({
  summary: z.string().describe('Two to four sentences on the overall state'),
  findings: z.array(finding),
  filesReviewed: z.array(z.string()).describe('Every path actually read and reviewed'),
});

export type ReviewInput = z.output<typeof reviewInput>;
export type ReviewOutput = z.output<typeof reviewOutput>;

/** The response: the review plus the submitted files the agent did not review, so a partial review is never silent. */
export const reviewResult = reviewOutput.extend({
  filesNotReviewed: z.array(z.string()).describe('Submitted paths missing from filesReviewed'),
  filesFiltered: z
    .array(z.strictObject({ path: z.string(), reason: z.string() }))
    .optional()
    .describe('For a repository review: changed paths its configuration left out, each with the reason'),
  findingsOmitted: z.number().int().min(0).optional().describe("For a repository review: findings left out by its configuration's minSeverity, maxFindings or path filters"),
  source: z
    .strictObject({ repository: z.string(), head: z.string(), base: z.string(), mergeBase: z.string() })
    .optional()
    .describe('For a repository review: the commits it covered (head, base and their merge base)'),
});

export type ReviewResult = z.output<typeof reviewResult>;
