import { type ClaudeRequest } from '../../types';
import { buildQueryOptions } from './query-options';

const request: ClaudeRequest = {
  requestId: 'r1',
  pluginId: 'code-review',
  operation: 'review',
  systemPrompt: 'You review code.',
  prompt: 'Review a.ts',
  files: [],
  tools: { allow: ['Read', 'Grep', 'Glob'], mode: 'dontAsk' },
  maxTurns: 5,
  outputSchema: { type: 'object' },
  timeoutMs: 1000,
};

describe('buildQueryOptions', () => {
  const host = { cwd: '/tmp/ws', env: { PATH: '/bin' }, abortController: new AbortController() };

  it('isolates the CLI from host settings and sessions', () => {
    const o = buildQueryOptions(request, host);
    expect(o.settingSources).toEqual([]);
    expect(o.strictMcpConfig).toBe(true);
    expect(o.persistSession).toBe(false);
    expect(o.env).toBe(host.env);
    expect(o.cwd).toBe('/tmp/ws');
    expect(o.abortController).toBe(host.abortController);
  });

  it('offers exactly the declared tools, pre-approves none and denies the rest', () => {
    const o = buildQueryOptions(request, host);
    expect(o.tools).toEqual(['Read', 'Grep', 'Glob']);
    expect(o.allowedTools).toEqual([]);
    expect(o.permissionMode).toBe('dontAsk');
    expect(o.disallowedTools).toEqual(expect.arrayContaining(['Bash', 'Write', 'Edit', 'WebFetch', 'Task']));
    expect(o.disallowedTools).not.toContain('Read');
    expect(o.allowDangerouslySkipPermissions).toBeUndefined();
  });

  it('sends the output schema as outputFormat and the plugin limits', () => {
    const o = buildQueryOptions(request, host);
    expect(o.outputFormat).toEqual({ type: 'json_schema', schema: { type: 'object' } });
    expect(o.maxTurns).toBe(5);
    expect(o.systemPrompt).toBe('You review code.');
  });
});
