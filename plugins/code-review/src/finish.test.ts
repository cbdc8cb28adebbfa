import { finishReview } from './finish';
import { AGENT_OUTPUT, reviewedInput, reviewedResult } from './formats/fixture';
import { reviewInput, reviewResult } from './schemas';

describe('finishing a review', () => {
  it('gives every finding an end line, its rule category, a fingerprint and a status, and matches the result schema', () => {
    const { review } = reviewedResult();
    expect(reviewResult.safeParse(review).success).toBe(true);
    expect(review.findings.map((f) => [f.line, f.endLine, f.category, f.status])).toEqual([
      [4, 4, 'security', 'new'],
      [3, 5, 'correctness', 'new'],
      [2, 2, 'style', 'new'], // no endLine given: one line; the category follows the rule
    ]);
    expect(new Set(review.findings.map((f) => f.fingerprint)).size).toBe(3);
    expect(review.resolved).toEqual([]);
    expect(review.filesNotReviewed).toEqual(['src/unread.ts']);
  });

  it('never takes an end line before the start line', () => {
    const output = { ...AGENT_OUTPUT, findings: [{ ...AGENT_OUTPUT.findings[0]!, line: 5, endLine: 2 }] };
    expect(finishReview(output, reviewedInput()).findings[0]?.endLine).toBe(5);
  });

  it('computes fingerprints from the code, so the same review gives the same ones', () => {
    expect(reviewedResult().review.findings.map((f) => f.fingerprint)).toEqual(reviewedResult().review.findings.map((f) => f.fingerprint));
  });

  it('against an earlier review: persisting, new and resolved', () => {
    const first = reviewedResult().review;
    const [kept, , dropped] = first.findings.map((f) => f.fingerprint);
    const gone = 'f'.repeat(32);
    const input = reviewedInput([kept as string, dropped as string, gone, kept as string]);
    const second = finishReview({ ...AGENT_OUTPUT, findings: AGENT_OUTPUT.findings.slice(0, 2) }, input);
    expect(second.findings.map((f) => f.status)).toEqual(['persisting', 'new']);
    expect(second.resolved).toEqual([dropped, gone]);
  });

  it('lists review.diff as not reviewed when a diff review skipped it', () => {
    const input = reviewInput.parse({ diff: '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n' });
    expect(finishReview({ summary: 's', findings: [], filesReviewed: [] }, input).filesNotReviewed).toEqual(['review.diff']);
  });

  it('refuses an earlier review whose fingerprints are not fingerprints', () => {
    const parsed = reviewInput.safeParse({ diff: 'x', previous: { fingerprints: ['nope'] } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['previous', 'fingerprints', 0]);
  });
});
