import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';

// migration-advisor's own tool, dependency_versions, with the real CLI against the simulator:
// the model (scripted to call it) gets the exact versions a test lockfile pins.

type Block = { type?: string; tool_use_id?: string; content?: unknown; is_error?: boolean };
const toolResults = (messages: readonly { role: string; content: unknown }[]): Block[] => messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as Block[]) : [])).filter((b) => b.type === 'tool_result');

describe('migration-advisor: dependency_versions', () => {
  let rt: TestRuntime;
  beforeEach(async () => {
    rt = await startTestRuntime();
  });
  afterEach(() => rt.close());

  it("gives migration-advisor's model the versions a test lockfile pins", async () => {
    rt.simulator.enqueue({ blocks: [{ type: 'tool_use', id: 'toolu_deps', name: 'mcp__migration-advisor__dependency_versions', input: { ecosystem: 'npm' } }] }, { auto: true });
    const lock = { lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/express': { version: '4.18.2' }, 'node_modules/body-parser': { version: '1.20.1' } } };
    const res = await postJson(`${rt.url}/v1/plugins/migration-advisor/assess`, {
      files: [{ path: 'package.json', content: JSON.stringify({ dependencies: { express: '^4.18.0' } }) }, { path: 'package-lock.json', content: JSON.stringify(lock) }, { path: 'server.js', content: "require('express')().listen(3000);\n" }],
      from: 'express@4',
      to: 'express@5',
    });
    expect(res.status).toBe(200);
    const first = rt.simulator.messageRequests().find((r) => r.tools.includes('mcp__migration-advisor__dependency_versions'));
    expect(first?.system).toContain('mcp__migration-advisor__dependency_versions');
    const answer = toolResults(rt.simulator.messageRequests().at(-1)?.messages ?? []).find((b) => b.tool_use_id === 'toolu_deps');
    expect(answer?.is_error).toBeFalsy();
    const report = JSON.parse(((answer?.content as { text: string }[] | string) instanceof Array ? (answer?.content as { text: string }[])[0]?.text : (answer?.content as string)) ?? '{}') as { dependencies: { name: string; declared?: string; exact?: string }[] };
    expect(report.dependencies).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'express', declared: '^4.18.0', exact: '4.18.2' }), expect.objectContaining({ name: 'body-parser', exact: '1.20.1' })]));
  });
});
