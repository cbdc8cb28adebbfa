import type { ResultFormat } from '@ccp/plugin-api';
import { SEVERITIES, type ReviewedFinding, type ReviewInput, type ReviewResult } from '../schemas';
import { PLUGIN_VERSION, TOOL_NAME } from '../version';
import { oneLine } from './text';

/** The first line of every summary, so a CI step can find its earlier comment and update it. */
export const MARKDOWN_MARKER = '<!-- ccp:code-review -->';

/** Code spans and fenced blocks, which Markdown shows as they are. */
const CODE = /(```[\s\S]*?```|`[^`\n]*`)/;

/** In a table cell a `|` ends the cell, inside a code span too, unless escaped. */
const pipes = (text: string): string => text.replace(/\|/g, '\\|');

/**
 * Escapes prose outside code: `<` and `>` (no HTML) and `@` (a review mentions no one);
 * code spans and fenced blocks are kept as they are.
 */
function escapeProse(text: string): string {
  return text
    .split(CODE)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/[<>@]/g, (c) => `&#${c.charCodeAt(0)};`)))
    .join('');
}

const code = (text: string): string => `\`${oneLine(text).replace(/`/g, "'")}\``;
const where = (f: ReviewedFinding): string => code(`${f.file}:${f.line}${f.endLine > f.line ? `-${f.endLine}` : ''}`);

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function counts(findings: readonly ReviewedFinding[]): string {
  const bySeverity = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  return bySeverity.length ? ` (${bySeverity.map(([s, n]) => `${n} ${s}`).join(', ')})` : '';
}

/**
 * The review as a Markdown summary for a pull-request comment: counts by severity, what
 * changed since an earlier review, a table of findings (most severe first) and their
 * suggestions folded away, and the files that were not reviewed.
 */
export function markdownSummary(review: ReviewResult, input: ReviewInput): string {
  const findings = [...review.findings].sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || a.file.localeCompare(b.file) || a.line - b.line);
  const out: string[] = [MARKDOWN_MARKER, `## Code review: ${plural(findings.length, 'finding')}${counts(findings)}`, '', escapeProse(review.summary.trim()), ''];
  const incremental = input.previous !== undefined;
  if (incremental) {
    const fresh = findings.filter((f) => f.status === 'new').length;
    out.push(`**Since the previous review:** ${fresh} new, ${findings.length - fresh} persisting, ${review.resolved.length} resolved.`, '');
  }
  if (findings.length > 0) {
    out.push(incremental ? '| | Severity | Where | Rule | Finding |' : '| Severity | Where | Rule | Finding |', incremental ? '|---|---|---|---|---|' : '|---|---|---|---|');
    for (const f of findings) {
      const row = [f.severity, pipes(where(f)), code(f.ruleId), pipes(escapeProse(oneLine(f.message)))];
      out.push(`| ${(incremental ? [f.status === 'new' ? '**new**' : 'persisting', ...row] : row).join(' | ')} |`);
    }
    out.push('', '<details><summary>Suggestions</summary>', '');
    for (const f of findings) out.push(`- ${where(f)} ${code(f.ruleId)}: ${escapeProse(f.suggestion.trim()).replace(/\n/g, '\n  ')}`);
    out.push('', '</details>', '');
  }
  if (review.filesNotReviewed.length > 0) out.push(`**Not reviewed:** ${review.filesNotReviewed.map(code).join(', ')}.`, '');
  out.push(`<sub>${TOOL_NAME} ${PLUGIN_VERSION}</sub>`, '');
  return out.join('\n');
}

export const markdownFormat: ResultFormat<ReviewResult, ReviewInput> = {
  name: 'markdown',
  mediaType: 'text/markdown',
  description: 'A Markdown summary for a pull-request or merge-request comment.',
  schema: { type: 'string' },
  render: (review, { input }) => markdownSummary(review, input),
};
