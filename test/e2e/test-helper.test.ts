import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// test-helper may Write, but only inside its own workspace: writes elsewhere are denied by
// the platform's permission check, and the files it wrote inside come back in the result.

describe('test-helper writes only inside its workspace', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(() => rt.close());

  it('denies writes outside, reports them, and returns the files written inside', async () => {
    const outside = join(tmpdir(), `ccp-outside-${process.pid}-${Date.now()}.txt`);
    const testFile = "import { slug } from './slug';\ntest('lower-cases', () => expect(slug('A B')).toBe('a-b'));\n";
    rt.simulator.enqueue(
      {
        blocks: [
          { type: 'tool_use', name: 'Write', input: { file_path: outside, content: 'pwned' } },
          { type: 'tool_use', name: 'Write', input: { file_path: '../../escape.txt', content: 'pwned' } },
          { type: 'tool_use', name: 'Write', input: { file_path: 'src/slug.test.ts', content: testFile } },
        ],
      },
      { blocks: [{ type: 'tool_use', name: 'StructuredOutput', input: { testFiles: ['src/slug.test.ts'], cases: [{ name: 'lower-cases', covers: 'slug' }], notes: '' } }] },
    );
    const res = await postJson(`${rt.url}/v1/plugins/test-helper/generate-tests`, {
      files: [{ path: 'src/slug.ts', content: "export const slug = (s: string) => s.toLowerCase().replace(/ /g, '-');\n" }],
      framework: 'jest',
    });
    const body = (await res.json()) as { result: { tests: { path: string; content: string }[] } };
    expect(res.status).toBe(200);
    expect(body.result.tests).toEqual([{ path: 'src/slug.test.ts', content: testFile }]);

    expect(existsSync(outside)).toBe(false);
    expect(existsSync(join(rt.workspaceRoot, '..', 'escape.txt'))).toBe(false);
    const results = JSON.stringify(rt.simulator.messageRequests()[1]?.messages.at(-1));
    expect(results.match(/may only touch files inside the workspace/g)).toHaveLength(2);
    expect(results).toContain('File created successfully');
    const metrics = await rt.runtime.metrics.registry.metrics();
    expect(metrics).toContain('ccp_claude_denied_tool_calls_total{plugin="test-helper",tool="Write"} 2');
  });
});
