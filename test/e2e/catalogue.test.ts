import { definedToolName } from '@ccp/plugin-api';
import { postJson, startTestRuntime, type TestRuntime } from '@ccp/testing';
import { catalogue } from '../catalogue';

// Every plugin of the catalogue through HTTP with the real CLI: a structured result that
// matches the operation's schema, and the API saw the plugin's prompt and exactly its tools
// (the built-ins it allows and the tools it defines, as mcp__<plugin>__<name>).

const INTERNAL_TOOLS = ['StructuredOutput', 'DeferredToolPlaceholder'];

describe('plugin catalogue end to end', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime({ config: { plugins: catalogue.plugins }, baseDir: catalogue.baseDir });
  });
  afterAll(() => rt.close());

  const ids = ['code-review', 'doc-generator', 'test-helper', 'migration-advisor', 'commit-message', 'release-notes'];

  it('serves the whole catalogue', () => {
    expect(rt.runtime.registry.list().map((p) => p.definition.id)).toEqual(ids);
  });

  it.each(ids)('%s answers its example with a valid structured result', async (id) => {
    const plugin = rt.runtime.registry.get(id);
    if (!plugin) throw new Error(`${id} is not registered`);
    for (const op of plugin.operations.values()) {
      rt.simulator.reset();
      const res = await postJson(`${rt.url}/v1/plugins/${id}/${op.name}`, op.definition.example);
      const body = (await res.json()) as { result: unknown };
      expect({ status: res.status, body }).toMatchObject({ status: 200 });
      expect((op.definition.result ?? op.definition.output).safeParse(body.result).success).toBe(true);

      const calls = rt.simulator.messageRequests();
      expect(calls.length).toBeGreaterThanOrEqual(1);
      for (const call of calls) {
        expect(call.system).toContain(plugin.definition.systemPrompt);
        const declared = [...plugin.tools.allow, ...(plugin.tools.define ?? []).map((t) => definedToolName(id, t.name))];
        expect(call.tools.filter((t) => !INTERNAL_TOOLS.includes(t)).sort()).toEqual(declared.sort());
      }
    }
  });
});
