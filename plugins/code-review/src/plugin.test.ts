import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeReviewPlugin, renderReviewPrompt } from './plugin';
import { RULES } from './rules';
import { reviewInput, reviewOutput } from './schemas';

describe('code-review', () => {
  it('declares read-only tools only', () => {
    expect([...codeReviewPlugin.tools.allow].sort()).toEqual(['Glob', 'Grep', 'Read']);
    expect(codeReviewPlugin.tools.mode).toBe('dontAsk');
  });

  it('takes files or a diff, never both or neither', () => {
    expect(reviewInput.safeParse({ files: [{ path: 'a.ts', content: 'x' }] }).success).toBe(true);
    expect(reviewInput.safeParse({ diff: '--- a\n+++ b\n' }).success).toBe(true);
    expect(reviewInput.safeParse({}).success).toBe(false);
    expect(reviewInput.safeParse({ diff: 'x', files: [{ path: 'a.ts', content: 'x' }] }).success).toBe(false);
  });

  it('puts files in the workspace and lists them in the prompt', () => {
    const q = renderReviewPrompt(reviewInput.parse({ files: [{ path: 'src/a.ts', content: 'x' }], language: 'TypeScript', focus: ['security'] }));
    expect(q.files).toEqual([{ path: 'src/a.ts', content: 'x' }]);
    expect(q.prompt).toContain('- src/a.ts');
    expect(q.prompt).toContain('Focus on: security.');
  });

  it('takes files to read beside a diff (context), and only beside a diff', () => {
    const context = [{ path: 'src/a.ts', content: 'export const a = 2;\n' }, { path: 'src/b.ts', content: 'import { a } from "./a";\n' }];
    const q = renderReviewPrompt(reviewInput.parse({ diff: '@@ -1 +1 @@\n-a\n+b\n', context }));
    expect(q.files).toEqual([{ path: 'review.diff', content: '@@ -1 +1 @@\n-a\n+b\n' }, ...context]);
    expect(q.prompt).toContain('- src/b.ts');
    expect(reviewInput.safeParse({ files: context, context }).success).toBe(false);
    expect(renderReviewPrompt(reviewInput.parse({ diff: 'x', context: [{ path: 'review.diff', content: 'y' }] })).files).toEqual([{ path: 'review.diff', content: 'x' }]);
  });

  it('writes a diff to review.diff', () => {
    const q = renderReviewPrompt(reviewInput.parse({ diff: '@@ -1 +1 @@\n-a\n+b\n' }));
    expect(q.files).toEqual([{ path: 'review.diff', content: '@@ -1 +1 @@\n-a\n+b\n' }]);
    expect(q.prompt).toContain('review.diff');
  });

  it('rejects output with a severity outside the scale', () => {
    const finding = { file: 'a', line: 1, severity: 'catastrophic', category: 'security', ruleId: 'security/other', message: 'm', suggestion: 's' };
    expect(reviewOutput.safeParse({ summary: 's', findings: [finding], filesReviewed: ['a'] }).success).toBe(false);
  });

  it('lists every rule id in the system prompt, filled in from rules.ts', () => {
    expect(codeReviewPlugin.systemPrompt).not.toContain('{{RULES}}');
    for (const r of RULES) expect(codeReviewPlugin.systemPrompt).toContain(`\`${r.id}\``);
  });

  it('has rule ids of the form <category>/<kebab-name>, unique, with an "other" rule per category', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) expect(r.id).toMatch(new RegExp(`^${r.category}/[a-z]+(?:-[a-z]+)*$`));
    for (const c of new Set(RULES.map((r) => r.category))) expect(RULES.map((r) => r.id)).toContain(`${c}/other`);
  });

  it('documents every rule in README.md, in order, with its description', () => {
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z]+\/[a-z-]+)` \| (.+?) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(RULES.map((r) => [r.id, r.description]));
  });

  it('refuses a rule id outside the documented set', () => {
    const finding = { file: 'a', line: 1, severity: 'high', category: 'security', ruleId: 'security/made-up', message: 'm', suggestion: 's' };
    expect(reviewOutput.safeParse({ summary: 's', findings: [finding], filesReviewed: ['a'] }).success).toBe(false);
    expect(reviewOutput.safeParse({ summary: 's', findings: [{ ...finding, ruleId: 'security/sql-injection' }], filesReviewed: ['a'] }).success).toBe(true);
  });

  it('declares the sarif, codequality, rdjson and markdown formats', () => {
    expect(codeReviewPlugin.operations.review?.formats?.map((f) => f.name)).toEqual(['sarif', 'codequality', 'rdjson', 'markdown']);
  });
});
