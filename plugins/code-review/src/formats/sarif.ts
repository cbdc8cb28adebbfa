import type { ResultFormat } from '@ccp/plugin-api';
import { RULES } from '../rules';
import type { ReviewedFinding, ReviewInput, ReviewResult, Severity } from '../schemas';
import { PLUGIN_VERSION, TOOL_NAME, TOOL_URI } from '../version';
import { sentence } from './text';

/** SARIF's three levels of a problem: `error` is what a build should stop for. */
export const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));

/** A workspace path as a relative URI reference: each segment percent-encoded (`my file.ts` → `my%20file.ts`). */
export const relativeUri = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

function result(f: ReviewedFinding, incremental: boolean): Record<string, unknown> {
  const uri = relativeUri(f.file);
  return {
    ruleId: f.ruleId,
    ruleIndex: ruleIndex.get(f.ruleId),
    level: SARIF_LEVEL[f.severity],
    message: { text: `${sentence(f.message)} Suggestion: ${sentence(f.suggestion)}` },
    locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine: f.line, endLine: f.endLine } } }],
    partialFingerprints: { primaryLocationLineHash: f.fingerprint },
    ...(incremental ? { baselineState: f.status === 'persisting' ? 'unchanged' : 'new' } : {}),
    ...(f.replacement !== undefined
      ? {
          fixes: [
            {
              description: { text: sentence(f.suggestion) },
              artifactChanges: [{ artifactLocation: { uri }, replacements: [{ deletedRegion: { startLine: f.line, endLine: f.endLine }, insertedContent: { text: f.replacement } }] }],
            },
          ],
        }
      : {}),
    properties: { severity: f.severity, category: f.category },
  };
}

/**
 * The review as a SARIF 2.1.0 log: every rule in `tool.driver.rules` (so `ruleIndex` is
 * stable), one result per finding with its region, the fingerprint as
 * `partialFingerprints.primaryLocationLineHash`, severities as levels, a `fixes` entry
 * where the finding has an exact replacement, and `baselineState` for an incremental review.
 */
export function sarifLog(review: ReviewResult, input: ReviewInput): Record<string, unknown> {
  const incremental = input.previous !== undefined;
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: TOOL_NAME,
            informationUri: TOOL_URI,
            version: PLUGIN_VERSION,
            semanticVersion: PLUGIN_VERSION,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.name,
              shortDescription: { text: r.description },
              fullDescription: { text: r.description },
              // GitHub code scanning requires a help object on every rule.
              help: { text: `${r.description} Rule ${r.id}, in the ${r.category} category of the code-review plugin.`, markdown: `${r.description}\n\nRule \`${r.id}\`, in the **${r.category}** category of the code-review plugin.` },
              defaultConfiguration: { level: 'warning' },
              properties: { tags: [r.category] },
            })),
          },
        },
        results: review.findings.map((f) => result(f, incremental)),
        properties: {
          summary: review.summary,
          filesReviewed: review.filesReviewed,
          filesNotReviewed: review.filesNotReviewed,
          ...(incremental ? { resolvedFingerprints: review.resolved } : {}),
        },
      },
    ],
  };
}

export const sarifFormat: ResultFormat<ReviewResult, ReviewInput> = {
  name: 'sarif',
  mediaType: 'application/sarif+json',
  description: 'A SARIF 2.1.0 log: GitHub code scanning (upload-sarif), Azure DevOps, IDE viewers.',
  schema: {
    type: 'object',
    description: 'A SARIF 2.1.0 log (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html)',
    required: ['version', 'runs'],
    properties: { $schema: { type: 'string' }, version: { const: '2.1.0' }, runs: { type: 'array', items: { type: 'object' } } },
  },
  render: (review, { input }) => sarifLog(review, input),
};
