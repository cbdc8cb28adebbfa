import type { ResultFormat } from '@ccp/plugin-api';
import type { FocusArea } from '../rules';
import type { ReviewedFinding, ReviewInput, ReviewResult, Severity } from '../schemas';
import { oneLine } from './text';

/** GitLab's five severities, from the platform's five. */
export const CODE_QUALITY_SEVERITY: Readonly<Record<Severity, 'blocker' | 'critical' | 'major' | 'minor' | 'info'>> = {
  critical: 'blocker',
  high: 'critical',
  medium: 'major',
  low: 'minor',
  info: 'info',
};

/** The Code Climate category of a finding: by its rule where one fits better than its category's. */
function categoryOf(f: ReviewedFinding): string {
  if (f.ruleId === 'maintainability/duplication') return 'Duplication';
  if (f.ruleId === 'maintainability/complexity') return 'Complexity';
  const byArea: Record<FocusArea, string> = { correctness: 'Bug Risk', security: 'Security', performance: 'Performance', maintainability: 'Clarity', style: 'Style' };
  return byArea[f.category];
}

/**
 * The review as a GitLab Code Quality report (the Code Climate issue format GitLab reads from
 * `artifacts:reports:codequality`): one issue per finding with its rule as `check_name`, its
 * fingerprint, severity, path and lines; the suggestion as the Markdown `content`.
 */
export function codeQualityReport(review: ReviewResult): Record<string, unknown>[] {
  return review.findings.map((f) => ({
    type: 'issue',
    check_name: f.ruleId,
    description: oneLine(f.message),
    content: { body: f.suggestion },
    categories: [categoryOf(f)],
    fingerprint: f.fingerprint,
    severity: CODE_QUALITY_SEVERITY[f.severity],
    location: { path: f.file, lines: { begin: f.line, end: f.endLine } },
  }));
}

export const codeQualityFormat: ResultFormat<ReviewResult, ReviewInput> = {
  name: 'codequality',
  mediaType: 'application/vnd.gitlab.codequality+json',
  description: "A GitLab Code Quality report (artifacts:reports:codequality): findings in the merge request's widget and diff.",
  schema: { type: 'array', description: 'GitLab Code Quality issues (https://docs.gitlab.com/ci/testing/code_quality/)', items: { type: 'object' } },
  render: codeQualityReport,
};
