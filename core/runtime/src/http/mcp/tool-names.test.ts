import { splitToolName, TOOL_NAME_MAX, TOOL_NAME_PATTERN, toolName } from './tool-names';

describe('MCP tool names', () => {
  it('names an operation <plugin>__<operation>, within [a-zA-Z0-9_-]', () => {
    expect(toolName('code-review', 'review')).toBe('code-review__review');
    expect(toolName('test-helper', 'generate-tests')).toMatch(TOOL_NAME_PATTERN);
  });

  it('splits a name back into its plugin and operation', () => {
    expect(splitToolName('test-helper__generate-tests')).toEqual({ plugin: 'test-helper', operation: 'generate-tests' });
    expect(splitToolName('no-separator')).toEqual({ plugin: 'no-separator', operation: '' });
  });

  it('shortens a name past 64 characters to a stable, distinct one of exactly 64', () => {
    const plugin = 'a-very-long-plugin-identifier-that-an-operator-chose';
    const a = toolName(plugin, 'first-operation-name');
    const b = toolName(plugin, 'second-operation-name');
    expect(a).toHaveLength(TOOL_NAME_MAX);
    expect(a).toMatch(TOOL_NAME_PATTERN);
    expect(a).not.toBe(b);
    expect(toolName(plugin, 'first-operation-name')).toBe(a);
    expect(a.startsWith(`${plugin}__f`)).toBe(true);
    expect(a).toMatch(/_[0-9a-f]{8}$/);
  });
});
