import { changedFiles, parseNameStatus, splitPatch } from './diff';

const PATCH = [
  'diff --git a/src/app.ts b/src/app.ts',
  'index 1111111..2222222 100644',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1 +1,2 @@',
  '-export const a = 1;',
  '+import { clamp } from "./util";',
  '+export const a = clamp(2);',
  'diff --git a/old name.ts b/new name.ts',
  'similarity index 100%',
  'rename from old name.ts',
  'rename to new name.ts',
  'diff --git a/logo.png b/logo.png',
  'new file mode 100644',
  'index 0000000..3333333',
  'Binary files /dev/null and b/logo.png differ',
  '',
].join('\n');

describe('the diff of a change', () => {
  it('reads name-status lists, renames included, with any path whole', () => {
    expect(parseNameStatus('M\0src/app.ts\0R100\0old name.ts\0new name.ts\0A\0logo.png\0D\0gone\nline.ts\0')).toEqual([
      { status: 'modified', path: 'src/app.ts' },
      { status: 'renamed', previousPath: 'old name.ts', path: 'new name.ts' },
      { status: 'added', path: 'logo.png' },
      { status: 'deleted', path: 'gone\nline.ts' },
    ]);
  });

  it("cuts the patch into each file's section and tells binary files", () => {
    expect(splitPatch(PATCH).map((s) => s.split('\n')[0])).toEqual(['diff --git a/src/app.ts b/src/app.ts', 'diff --git a/old name.ts b/new name.ts', 'diff --git a/logo.png b/logo.png']);
    const files = changedFiles('M\0src/app.ts\0R100\0old name.ts\0new name.ts\0A\0logo.png\0', PATCH);
    expect(files.map((f) => [f.path, f.status, f.binary])).toEqual([['src/app.ts', 'modified', false], ['new name.ts', 'renamed', false], ['logo.png', 'added', true]]);
    expect(files.map((f) => f.diff).join('')).toBe(PATCH);
    expect(splitPatch('')).toEqual([]);
  });

  it('refuses a list and a patch that disagree', () => {
    expect(() => changedFiles('M\0a\0', PATCH)).toThrow(/1 changed files but wrote 3/);
  });
});
