import { fingerprints, linesOfDiff, linesOfFiles, normaliseLine, type Anchor } from './fingerprint';

const QUERY = '  const rows = db.query("SELECT * FROM users WHERE id = " + id);';
const file = (before: string[]) => ['import { db } from "./db";', ...before, 'export function find(id: string) {', QUERY, '  return rows;', '}', ''].join('\n');
const sql = (line: number, extra: Partial<Anchor> = {}): Anchor => ({ ruleId: 'security/sql-injection', file: 'src/find.ts', line, endLine: line, ...extra });
const printOf = (content: string, anchor: Anchor) => fingerprints([anchor], linesOfFiles([{ path: 'src/find.ts', content }]))[0];

describe('finding fingerprints', () => {
  const original = file([]);
  const queryLine = original.split('\n').indexOf(QUERY) + 1;

  it('are 32 hex digits', () => {
    expect(printOf(original, sql(queryLine))).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stay the same when the code moves down 10 lines', () => {
    const moved = file(Array.from({ length: 10 }, (_, i) => `// unrelated line ${i}`));
    expect(moved.split('\n').indexOf(QUERY) + 1).toBe(queryLine + 10);
    expect(printOf(moved, sql(queryLine + 10))).toBe(printOf(original, sql(queryLine)));
  });

  it('change when the line itself changes', () => {
    const fixed = original.replace(QUERY, '  const rows = db.query("SELECT * FROM users WHERE id = $1", [id]);');
    expect(printOf(fixed, sql(queryLine))).not.toBe(printOf(original, sql(queryLine)));
  });

  it('ignore indentation and runs of whitespace, not other characters', () => {
    expect(printOf(original.replace(QUERY, `\t\t${QUERY.trim().replace(' = ', '   =   ')}  `), sql(queryLine))).toBe(printOf(original, sql(queryLine)));
    expect(printOf(original.replace(QUERY, QUERY.replace('users', 'Users')), sql(queryLine))).not.toBe(printOf(original, sql(queryLine)));
    expect(normaliseLine('\t a  =\tb ')).toBe('a = b');
  });

  it('depend on the rule, the path and every line of the range', () => {
    const base = printOf(original, sql(queryLine));
    expect(printOf(original, sql(queryLine, { ruleId: 'security/input-validation' }))).not.toBe(base);
    const both = linesOfFiles([{ path: 'src/find.ts', content: original }, { path: 'src/other.ts', content: original }]);
    const [here, there] = fingerprints([sql(queryLine), sql(queryLine, { file: 'src/other.ts' })], both);
    expect(here).toBe(base);
    expect(there).not.toBe(base);
    const range = sql(queryLine, { endLine: queryLine + 1 });
    expect(printOf(original, range)).not.toBe(base);
    expect(printOf(original.replace('  return rows;', '  return rows ?? [];'), range)).not.toBe(printOf(original, range));
  });

  it('tell apart findings of one rule on identical lines, by their order, also after a move', () => {
    const twice = ['a();', 'eval(input);', 'b();', 'eval(input);', ''].join('\n');
    const anchors = [2, 4].map((l) => sql(l, { ruleId: 'security/other' }));
    const [first, second] = fingerprints(anchors, linesOfFiles([{ path: 'src/find.ts', content: twice }]));
    expect(first).not.toBe(second);
    const moved = fingerprints(
      [5, 7].map((l) => sql(l, { ruleId: 'security/other' })).reverse(),
      linesOfFiles([{ path: 'src/find.ts', content: `x\ny\nz\n${twice}` }]),
    );
    expect(moved).toEqual([second, first]);
  });

  it('read ./ and repeated slashes in paths as the same file', () => {
    const source = linesOfFiles([{ path: 'src/find.ts', content: original }]);
    expect(fingerprints([sql(queryLine, { file: './src//find.ts' })], source)).toEqual(fingerprints([sql(queryLine)], source));
  });

  it('fall back to the line number when the source does not have the lines', () => {
    const source = linesOfFiles([{ path: 'src/find.ts', content: original }]);
    const [missingFile] = fingerprints([sql(3, { file: 'src/elsewhere.ts' })], source);
    expect(missingFile).toMatch(/^[0-9a-f]{32}$/);
    expect(fingerprints([sql(4, { file: 'src/elsewhere.ts' })], source)[0]).not.toBe(missingFile);
    expect(fingerprints([sql(999)], source)[0]).not.toBe(fingerprints([sql(998)], source)[0]);
  });
});

describe('the new side of a unified diff', () => {
  const diff = [
    'diff --git a/src/find.ts b/src/find.ts',
    'index 1111111..2222222 100644',
    '--- a/src/find.ts',
    '+++ b/src/find.ts',
    '@@ -3,4 +3,5 @@ import { db } from "./db";',
    ' export function find(id: string) {',
    '--- a removed line that reads like a header',
    '+// added',
    `+${QUERY}`,
    '   return rows;',
    '',
    '\\ No newline at end of file',
    'diff --git a/old.ts b/old.ts',
    '--- a/old.ts',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-gone',
  ].join('\n');

  it('numbers context and added lines as in the new file, and skips removed and deleted files', () => {
    const lines = linesOfDiff(diff);
    expect([...lines.keys()]).toEqual(['src/find.ts']);
    expect([...(lines.get('src/find.ts') ?? new Map())]).toEqual([
      [3, 'export function find(id: string) {'],
      [4, '// added'],
      [5, QUERY],
      [6, '  return rows;'],
      [7, ''],
    ]);
  });

  it('gives a finding on a diff the fingerprint of the same code reviewed as a file, b/ prefix or not', () => {
    const asFile = fingerprints([sql(5)], linesOfFiles([{ path: 'src/find.ts', content: ['1', '2', 'export function find(id: string) {', '// added', QUERY, '  return rows;', ''].join('\n') }]));
    expect(fingerprints([sql(5)], linesOfDiff(diff))).toEqual(asFile);
    expect(fingerprints([sql(5, { file: 'b/src/find.ts' })], linesOfDiff(diff))).toEqual(asFile);
  });
});
