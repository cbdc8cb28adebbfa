import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';
import { catalogue } from '../catalogue';

// A battery of bad input for every operation of the catalogue: each is a 400 problem
// naming the field, nothing reaches the Messages API, and the next good request works.

interface Problem {
  status: number;
  code: string;
  errors?: { field: string; message: string }[];
}

describe('bad input, per operation', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { plugins: catalogue.plugins }, baseDir: catalogue.baseDir });
  });
  afterAll(() => rt.close());

  const operations = () =>
    rt.runtime.registry.list().flatMap((p) => [...p.operations.values()].map((op) => ({ path: `/v1/plugins/${p.definition.id}/${op.name}`, example: op.definition.example as Record<string, unknown> })));

  async function expectRejected(path: string, body: unknown, field: RegExp): Promise<void> {
    const res = await postJson(`${rt.url}${path}`, body);
    const problem = (await res.json()) as Problem;
    expect({ path, status: res.status, code: problem.code }).toEqual({ path, status: 400, code: 'invalid_input' });
    expect(problem.errors?.map((e) => e.field).join(' | ')).toMatch(field);
  }

  it('rejects missing fields, wrong types and unknown fields for every operation', async () => {
    for (const { path, example } of operations()) {
      await expectRejected(path, {}, /.+/);
      for (const key of Object.keys(example)) await expectRejected(path, { ...example, [key]: 12345 }, new RegExp(`^${key}|\\| ${key}`));
      await expectRejected(path, { ...example, permissionMode: 'bypassPermissions' }, /permissionMode/);
    }
    expect(rt.simulator.messageRequests()).toHaveLength(0);
  });

  it('rejects oversize files, too many files and unsafe paths wherever files are taken', async () => {
    let checked = 0;
    for (const { path, example } of operations()) {
      if (!Array.isArray(example.files)) continue;
      checked++;
      const file = (p: string, content = 'x') => ({ path: p, content });
      await expectRejected(path, { ...example, files: [file('big.ts', 'x'.repeat(600 * 1024))] }, /^files\.0\.content|^files$/);
      await expectRejected(path, { ...example, files: Array.from({ length: 101 }, (_, i) => file(`f${i}.ts`)) }, /^files$/);
      const planted = ['.git/HEAD', '.git/config', '.git/objects/ab/cdef', 'sub/.git/config', '.GIT/config', '.CLAUDE/settings.json', '.MCP.JSON', 'sub/.mcp.json', 'a/.claude/settings.json'];
      for (const bad of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a\0b', 'C:\\\\x', '.claude/settings.json', ...planted]) {
        await expectRejected(path, { ...example, files: [file(bad)] }, /^files\.0\.path$/);
      }
    }
    expect(checked).toBe(4);
    expect(rt.simulator.messageRequests()).toHaveLength(0);
  });

  it('still answers a good request afterwards', async () => {
    const res = await postJson(`${rt.url}/v1/plugins/code-review/review`, { files: [{ path: 'a.ts', content: 'x' }] });
    expect(res.status).toBe(200);
  });
});
