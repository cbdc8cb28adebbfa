import type { ResultFormat } from '@ccp/plugin-api';
import type { ReviewedFinding, ReviewInput, ReviewResult, Severity } from '../schemas';
import { TOOL_NAME } from '../version';
import { sentence } from './text';

/** reviewdog's severities. */
export const RDJSON_SEVERITY: Readonly<Record<Severity, 'ERROR' | 'WARNING' | 'INFO'>> = {
  critical: 'ERROR',
  high: 'ERROR',
  medium: 'WARNING',
  low: 'INFO',
  info: 'INFO',
};

function diagnostic(f: ReviewedFinding): Record<string, unknown> {
  // Lines without columns: reviewdog reads the range line-wise, end line included, so a
  // suggestion's text replaces whole lines (without their final line break).
  const range = { start: { line: f.line }, end: { line: f.endLine } };
  return {
    message: `${sentence(f.message)}\n\nSuggestion: ${f.suggestion.trim()}`,
    location: { path: f.file, range },
    severity: RDJSON_SEVERITY[f.severity],
    code: { value: f.ruleId },
    ...(f.replacement !== undefined ? { suggestions: [{ range, text: f.replacement }] } : {}),
  };
}

/**
 * The review in the Reviewdog Diagnostic Format (rdjson, the `DiagnosticResult` message):
 * one diagnostic per finding with its rule as `code`, and a `suggestions` entry, which
 * reviewdog posts as a suggested change, where the finding has an exact replacement.
 */
export function rdjsonResult(review: ReviewResult): Record<string, unknown> {
  return { source: { name: TOOL_NAME }, diagnostics: review.findings.map(diagnostic) };
}

export const rdjsonFormat: ResultFormat<ReviewResult, ReviewInput> = {
  name: 'rdjson',
  mediaType: 'application/vnd.reviewdog.rdjson+json',
  description: 'reviewdog rdjson (reviewdog -f=rdjson): inline comments and suggested changes on GitHub, GitLab, Gitea and Bitbucket.',
  schema: {
    type: 'object',
    description: 'A reviewdog DiagnosticResult (https://github.com/reviewdog/reviewdog/tree/master/proto/rdf)',
    required: ['diagnostics'],
    properties: { source: { type: 'object', properties: { name: { type: 'string' } } }, diagnostics: { type: 'array', items: { type: 'object' } } },
  },
  render: rdjsonResult,
};
