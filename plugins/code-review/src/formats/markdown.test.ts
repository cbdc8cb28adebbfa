import { reviewedResult } from './fixture';
import { MARKDOWN_MARKER, markdownFormat, markdownSummary } from './markdown';

describe('Markdown summary', () => {
  const { input, review } = reviewedResult();
  const md = markdownSummary(review, input);

  it('starts with a marker a CI step can find, and counts the findings by severity', () => {
    expect(md.split('\n').slice(0, 2)).toEqual([MARKDOWN_MARKER, '## Code review: 3 findings (1 critical, 1 medium, 1 info)']);
    expect(md).toContain('The query in `findUser` is injectable');
  });

  it('tables the findings, most severe first, with their place and rule', () => {
    const rows = md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Severity'));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^\| critical \| `src\/db\.ts:4` \| `security\/sql-injection` \| The id is concatenated/);
    expect(rows[1]).toMatch(/^\| medium \| `src\/sum\.ts:3-5` \|/);
  });

  it('escapes what would break the table, render HTML or mention someone; keeps code as it is', () => {
    const row = md.split('\n').find((l) => l.startsWith('| info'));
    expect(row).toContain('`t` \\| `total`');
    expect(row).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#64;security-team');
    expect(row?.split(/(?<!\\)\|/)).toHaveLength(6);
    expect(md).not.toContain('<script>');
    expect(md).toContain('```ts\n  for (let i = 0; i < xs.length; i++) {\n  ```');
  });

  it('lists what was not reviewed', () => {
    expect(md).toContain('**Not reviewed:** `src/unread.ts`.');
  });

  it('says what changed since an earlier review', () => {
    const first = review.findings[0]?.fingerprint as string;
    const again = reviewedResult([first, 'b'.repeat(32)]);
    const text = markdownSummary(again.review, again.input);
    expect(text).toContain('**Since the previous review:** 2 new, 1 persisting, 1 resolved.');
    expect(text).toContain('| persisting | critical |');
    expect(text).toContain('| **new** | medium |');
    expect(md).not.toContain('Since the previous review');
  });

  it('says a clean review is clean', () => {
    const clean = markdownSummary({ ...review, findings: [], filesNotReviewed: [] }, input);
    expect(clean).toContain('## Code review: 0 findings');
    expect(clean).not.toContain('| Severity');
  });

  it('is declared as text/markdown', () => {
    expect([markdownFormat.name, markdownFormat.mediaType]).toEqual(['markdown', 'text/markdown']);
  });
});
