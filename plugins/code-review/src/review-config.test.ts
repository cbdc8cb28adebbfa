import type { ChangedFile, ResolvedSource } from '@ccp/plugin-api';
import { PlatformError } from '@ccp/plugin-api';
import { codeReviewPlugin, renderReviewPrompt } from './plugin';
import { filterChanges, limitFindings, reviewSettings } from './review-config';
import { reviewInput } from './schemas';
import { MAX_PROMPT_DIFF_BYTES } from './source-prompt';

const file = (path: string, diff = `diff --git a/${path} b/${path}\n@@ -1 +1 @@\n-a\n+b\n`, status: ChangedFile['status'] = 'modified'): ChangedFile => ({ path, status, binary: false, diff });
const sha = (c: string) => c.repeat(40);
const source = (changedFiles: ChangedFile[], config?: unknown): ResolvedSource => ({
  repository: 'demo', head: { ref: 'feature', commit: sha('b') }, base: { ref: 'main', commit: sha('a') }, mergeBase: sha('a'), changedFiles, ...(config ? { config } : {}),
});
const finding = (file: string, severity: 'critical' | 'high' | 'medium' | 'low' | 'info') => ({ file, line: 1, severity, category: 'correctness' as const, message: 'm', suggestion: 's' });

describe('review settings', () => {
  it("lays the request's keys over the repository's, and says where each came from", () => {
    const s = reviewSettings({ maxFindings: 2 }, source([], { exclude: ['docs/**'], maxFindings: 9 }));
    expect(s.config).toEqual({ exclude: ['docs/**'], maxFindings: 2 });
    expect([s.origin('maxFindings'), s.origin('exclude')]).toEqual(["the request's config", '.ccp/review.yaml']);
  });

  it('filters changed paths with include and exclude globs (dotfiles match), giving a reason for each', () => {
    const s = reviewSettings(undefined, source([], { include: ['src/**'], exclude: ['**/*.gen.ts'] }));
    const { reviewed, filtered } = filterChanges([file('src/a.ts'), file('src/.hidden/b.ts'), file('src/api.gen.ts'), file('README.md')], s);
    expect(reviewed.map((f) => f.path)).toEqual(['src/a.ts', 'src/.hidden/b.ts']);
    expect(filtered).toEqual([
      { path: 'src/api.gen.ts', reason: 'excluded by "**/*.gen.ts" in .ccp/review.yaml' },
      { path: 'README.md', reason: 'matches no include pattern (src/**) of .ccp/review.yaml' },
    ]);
  });

  it('keeps the most severe findings within maxFindings, in the order given, at or above minSeverity', () => {
    const findings = [finding('a.ts', 'low'), finding('a.ts', 'high'), finding('b.ts', 'medium'), finding('c.ts', 'critical'), finding('docs/x.md', 'critical')];
    const { kept, omitted } = limitFindings(findings, { minSeverity: 'medium', maxFindings: 2, exclude: ['docs/**'] });
    expect(kept.map((f) => f.severity)).toEqual(['high', 'critical']);
    expect(omitted).toBe(3);
  });
});

describe('a repository review', () => {
  it('takes exactly one of files, diff or source, and config only with a source', () => {
    expect(reviewInput.safeParse({ source: { repository: 'demo', head: 'feature' } }).success).toBe(true);
    expect(reviewInput.safeParse({ source: { repository: 'demo', head: 'refs/pull/12/head', base: 'a'.repeat(40) }, config: { maxFindings: 3 } }).success).toBe(true);
    expect(reviewInput.safeParse({ source: { repository: 'demo', head: 'x' }, diff: 'd' }).success).toBe(false);
    expect(reviewInput.safeParse({ diff: 'd', config: { maxFindings: 3 } }).success).toBe(false);
    for (const head of ['--upload-pack=x', 'main..evil', 'HEAD^', 'a:b', 'x@{1}', '.hidden', 'a/.b', 'b.lock', 'sp ace', '']) {
      expect(reviewInput.safeParse({ source: { repository: 'demo', head } }).success).toBe(false);
    }
  });

  it('declares its configuration file for the platform to read', () => {
    expect(codeReviewPlugin.operations.review?.source?.configFile?.path).toBe('.ccp/review.yaml');
  });

  it('puts the diff in the prompt in a fence the diff cannot close, and no file in the workspace', () => {
    const tricky = file('src/a.md', 'diff --git a/src/a.md b/src/a.md\n@@ -1 +1 @@\n-a\n+````js\n');
    const input = reviewInput.parse({ source: { repository: 'demo', head: 'feature' } });
    const q = renderReviewPrompt(input, { source: source([tricky, file('docs/b.md')], { exclude: ['docs/**'] }) });
    expect(q.files).toEqual([]);
    expect(q.prompt).toContain('`````diff\n');
    expect(q.prompt).toContain('+````js\n`````');
    expect(q.prompt).toContain('Left out by the review configuration, not to be reviewed: docs/b.md.');
    expect(q.prompt).not.toContain('diff --git a/docs/b.md');
  });

  it('refuses a change whose diff to review does not fit the prompt, naming the largest files', () => {
    const big = file('gen/big.json', `diff --git a/gen/big.json b/gen/big.json\n@@ -1 +1 @@\n+${'x'.repeat(MAX_PROMPT_DIFF_BYTES)}\n`);
    const input = reviewInput.parse({ source: { repository: 'demo', head: 'feature' } });
    const err = (() => {
      try {
        renderReviewPrompt(input, { source: source([big, file('src/a.ts')]) });
      } catch (e) {
        return e as PlatformError;
      }
    })();
    expect([err?.status, err?.code]).toEqual([413, 'source_too_large']);
    expect(err?.detail).toContain('gen/big.json (');
    // excluded, it fits
    expect(renderReviewPrompt(reviewInput.parse({ source: { repository: 'demo', head: 'feature' }, config: { exclude: ['gen/**'] } }), { source: source([big, file('src/a.ts')]) }).prompt).toContain('src/a.ts');
  });
});
