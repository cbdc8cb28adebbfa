import Ajv2020 from 'ajv/dist/2020';
import { z } from 'zod';
import { unsafePathReason, WORKSPACE_PATH_FORMAT, workspaceFiles, workspacePath } from './workspace-files';

const CASES: [string, string | undefined][] = [
  ['src/a.ts', undefined],
  ['a/b/c.d.ts', undefined],
  ['', 'must not be empty'],
  ['/etc/passwd', 'must be relative to the workspace, not absolute'],
  ['C:/x', 'must be relative to the workspace, not absolute'],
  ['../x', 'must not contain ".." segments'],
  ['a/../../x', 'must not contain ".." segments'],
  ['a\\b', 'must use forward slashes'],
  ['a\0b', 'must not contain NUL bytes'],
  ['a\nb', 'must not contain control characters'],
  ['dir/', 'must name a file'],
  ['..foo.ts', undefined],
  ['a/..b/c', undefined],
  [`${'x'.repeat(256)}.ts`, 'must not have a name longer than 255 bytes'],
  ['.claude/settings.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.mcp.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.CLAUDE/settings.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.Claude/settings.local.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.MCP.JSON', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['sub/.mcp.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['a/b/.claude/commands/x.md', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['./.claude/settings.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.claude./settings.json', 'must not be Claude Code configuration (.claude/, .mcp.json)'],
  ['.git/HEAD', 'must not be Git metadata (.git)'],
  ['.git/config', 'must not be Git metadata (.git)'],
  ['.git/objects/ab/cdef0123', 'must not be Git metadata (.git)'],
  ['.git/hooks/pre-commit', 'must not be Git metadata (.git)'],
  ['.git', 'must not be Git metadata (.git)'],
  ['.GIT/config', 'must not be Git metadata (.git)'],
  ['.Git /config', 'must not be Git metadata (.git)'],
  ['vendor/lib/.git/config', 'must not be Git metadata (.git)'],
  ['.gitignore', undefined],
  ['docs/.github/workflows/ci.yml', undefined],
  ['src/my.claude.ts', undefined],
  ['src/x.git/a.ts', undefined],
  ['\uFF0E\uFF0E/etc/passwd', 'must not contain dot-like segments'],
  ['a/\u2025/b', 'must not contain dot-like segments'],
  ['evil\u202Egpj.ts', 'must not contain invisible or bidirectional format characters'],
  ['a\u200Bb.ts', 'must not contain invisible or bidirectional format characters'],
  ['a\u0085b', 'must not contain control characters'],
  ['src/ünïcode.ts', undefined],
  ['e\u0301.ts', 'must be NFC-normalised unicode'],
  ['a//b', undefined],
  ['./a', undefined],
  ['a/.', undefined],
  ['./', 'must name a file'],
  ['./.', 'must name a file'],
  ['x'.repeat(513), 'must be at most 512 characters'],
];

describe('unsafePathReason', () => {
  it.each(CASES)('%j -> %s', (path, reason) => {
    expect(unsafePathReason(path)).toBe(reason);
  });
});

describe('the published path schema', () => {
  const published = z.toJSONSchema(workspacePath, { target: 'draft-2020-12', io: 'input' }) as { format: string; allOf: { description: string }[] };
  const ajv = new Ajv2020({ strict: true, strictTypes: false });
  // The format as docs/plugins.md defines it.
  ajv.addFormat(WORKSPACE_PATH_FORMAT, (s: string) => s === s.normalize('NFC') && s.split('/').every((part) => Buffer.byteLength(part) <= 255));
  const valid = ajv.compile(published);

  it.each(CASES)('agrees with the server on %j', (path, reason) => {
    expect(valid(path)).toBe(reason === undefined);
  });

  it('publishes each rule with the message the server gives', () => {
    expect(published.format).toBe(WORKSPACE_PATH_FORMAT);
    const messages = new Set(CASES.map(([, reason]) => reason));
    for (const rule of published.allOf) expect(messages).toContain(rule.description);
  });
});

describe('workspaceFiles', () => {
  const schema = workspaceFiles({ maxFiles: 2, maxFileBytes: 10, maxTotalBytes: 15 });

  it('names the offending field for each limit', () => {
    const r = schema.safeParse([
      { path: 'a.ts', content: 'x'.repeat(11) },
      { path: './a.ts', content: 'y'.repeat(5) },
    ]);
    expect(r.success).toBe(false);
    const issues = r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues).toEqual(expect.arrayContaining(['0.content: is 11 bytes; the limit is 10', '1.path: repeats "./a.ts"', ': files total 16 bytes; the limit is 15']));
  });

  it('rejects a file that is also the directory of another', () => {
    const r = workspaceFiles().safeParse([{ path: 'a', content: '' }, { path: 'a/b', content: '' }]);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual(['1.path: puts a file under "a", which is itself a submitted file']);
  });

  it('rejects too many files and unknown fields', () => {
    expect(schema.safeParse([{ path: 'a', content: '' }, { path: 'b', content: '' }, { path: 'c', content: '' }]).success).toBe(false);
    expect(schema.safeParse([{ path: 'a', content: '', mode: 0o777 }]).success).toBe(false);
  });
});
