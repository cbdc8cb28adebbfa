import { exactlyOneOf, repositorySource, workspaceFiles } from '@ccp/plugin-api';
import { z } from 'zod';
import { FOCUS_AREAS, RULE_IDS } from './rules';
import { reviewConfig } from './review-config';
import { SEVERITIES } from './severities';

export { FOCUS_AREAS } from './rules';

/** What a finding's fingerprint looks like: 32 lower-case hex digits. */
export const FINGERPRINT = /^[0-9a-f]{32}$/;

/** The fingerprints of an earlier review, so this one can say what is new, what persists and what was resolved. */
export const previousReview = z
  .strictObject({
    fingerprints: z
      .array(z.string().regex(FINGERPRINT, 'must be a finding fingerprint (32 lower-case hex digits) from an earlier review'))
      .max(5000, 'send at most 5000 fingerprints')
      .describe('The `fingerprint` of every finding of the earlier review (its `findings[].fingerprint`)'),
  })
  .describe('An earlier review of the same code: each finding then comes back `new` or `persisting`, and the earlier fingerprints no longer found are listed in `resolved`');

/**
 * `review` input: files, a unified diff, or a configured repository's change (exactly one,
 * published as `oneOf`); a diff may bring files to read beside it (`context`), and `config`
 * goes with a repository only (both published as `dependentRequired`).
 */
export const reviewInput = exactlyOneOf(
  z.strictObject({
    files: workspaceFiles({ maxFiles: 50, maxFileBytes: 256 * 1024, maxTotalBytes: 1024 * 1024 }).optional(),
    diff: z.string().min(1).max(1024 * 1024, 'diff must be at most 1 MiB').optional(),
    context: workspaceFiles({ maxFiles: 50, maxFileBytes: 256 * 1024, maxTotalBytes: 1024 * 1024 })
      .optional()
      .describe('With diff only: files as they are after the change (the changed ones and their neighbours), put in the workspace for the reviewer to read; findings cite their lines'),
    source: repositorySource.optional(),
    config: reviewConfig.optional(),
    language: z.string().min(1).max(40).optional(),
    focus: z.array(z.enum(FOCUS_AREAS)).min(1).max(FOCUS_AREAS.length).optional(),
    previous: previousReview.optional(),
  }),
  ['files', 'diff', 'source'],
  'give exactly one of "files", "diff" or "source"',
)
  .refine((input) => input.context === undefined || input.diff !== undefined, { message: '"context" goes with "diff": the files to read beside the change', path: ['context'] })
  .refine((input) => input.config === undefined || input.source !== undefined, { message: 'applies to a repository review only: give "source" with it', path: ['config'] })
  .meta({ dependentRequired: { context: ['diff'], config: ['source'] } });

export { SEVERITIES, type Severity } from './severities';

/** One problem as the reviewer reports it. */
export const finding = z.strictObject({
  file: z.string().describe('Path of the file exactly as submitted'),
  line: z.number().int().min(1).describe('1-based line number in that file where the problem starts'),
  endLine: z.number().int().min(1).optional().describe('1-based line where the problem ends (the same as line, or left out, for one line)'),
  severity: z.enum(SEVERITIES),
  category: z.enum(FOCUS_AREAS),
  ruleId: z.enum(RULE_IDS).describe('The most specific rule that names the problem; <category>/other when none does'),
  message: z.string().describe('What is wrong and why it matters'),
  suggestion: z.string().describe('The concrete change to make'),
  replacement: z
    .string()
    .optional()
    .describe('Only when the fix is local and certain: the exact text to put in place of lines line to endLine, whole lines, without a final newline'),
});

/** `review` output, structured so tools can act on it: what the agent must answer. */
export const reviewOutput = z.strictObject({
  summary: z.string().describe('Two to four sentences on the overall state'),
  findings: z.array(finding),
  filesReviewed: z.array(z.string()).describe('Every path actually read and reviewed'),
});

export type ReviewInput = z.output<typeof reviewInput>;
export type ReviewOutput = z.output<typeof reviewOutput>;
export type Finding = z.output<typeof finding>;

/** A finding as the caller gets it: what the platform adds is computed from the input, never taken from the model. */
export const reviewedFinding = finding.extend({
  endLine: z.number().int().min(1).describe('1-based line where the problem ends (equal to line for one line)'),
  category: z.enum(FOCUS_AREAS).describe("The category of the finding's rule"),
  fingerprint: z
    .string()
    .regex(FINGERPRINT)
    .describe('Stable identity of the finding: a hash of its rule, path and the normalised text of its lines (not their numbers), so it survives unrelated lines moving'),
  status: z.enum(['new', 'persisting']).describe('persisting when the request gave an earlier review with this fingerprint; new otherwise'),
});

export type ReviewedFinding = z.output<typeof reviewedFinding>;

/** The response: the review with its findings identified, plus what a partial or incremental review must not leave silent. */
export const reviewResult = reviewOutput.extend({
  findings: z.array(reviewedFinding),
  filesNotReviewed: z.array(z.string()).describe('Submitted paths missing from filesReviewed'),
  resolved: z
    .array(z.string().regex(FINGERPRINT))
    .describe('Fingerprints of the earlier review (input.previous) that no finding of this one has; empty without an earlier review'),
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
