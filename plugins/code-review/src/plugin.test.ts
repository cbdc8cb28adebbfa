import { codeReviewPlugin, renderReviewPrompt } from './plugin';
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

  it('writes a diff to review.diff', () => {
    const q = renderReviewPrompt(reviewInput.parse({ diff: '@@ -1 +1 @@\n-a\n+b\n' }));
    expect(q.files).toEqual([{ path: 'review.diff', content: '@@ -1 +1 @@\n-a\n+b\n' }]);
    expect(q.prompt).toContain('review.diff');
  });

  it('rejects output with a severity outside the scale', () => {
    const finding = { file: 'a', line: 1, severity: 'catastrophic', category: 'security', message: 'm', suggestion: 's' };
    expect(reviewOutput.safeParse({ summary: 's', findings: [finding], filesReviewed: ['a'] }).success).toBe(false);
  });
});
