import type { SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { ClaudeError } from '../../types';
import { resultEvent, summariseToolCall } from './map-messages';

function result(fields: Record<string, unknown>): SDKResultMessage {
  return {
    type: 'result', subtype: 'success', is_error: false, result: '{}', structured_output: { ok: true },
    duration_ms: 10, duration_api_ms: 5, num_turns: 1, total_cost_usd: 0.002, session_id: 's1', stop_reason: null,
    usage: { input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    modelUsage: {}, permission_denials: [{ tool_name: 'Bash', tool_use_id: 't', tool_input: { command: 'secret' } }],
    uuid: '00000000-0000-0000-0000-000000000000',
    ...fields,
  } as unknown as SDKResultMessage;
}

function failure(fn: () => unknown): ClaudeError {
  try {
    fn();
  } catch (err) {
    return err as ClaudeError;
  }
  throw new Error('expected a failure');
}

describe('resultEvent', () => {
  it('returns the structured output, usage, cost and denied tool names (not their inputs)', () => {
    const e = resultEvent(result({}), true);
    expect(e).toMatchObject({ output: { ok: true }, costUsd: 0.002, sessionId: 's1', deniedTools: ['Bash'] });
    expect(e.usage.inputTokens).toBe(7);
    expect(JSON.stringify(e)).not.toContain('secret');
  });

  it('classifies an API error the CLI gave up on by its status', () => {
    expect(failure(() => resultEvent(result({ is_error: true, api_error_status: 529, result: 'API Error: 529' }), true))).toMatchObject({ kind: 'overloaded', apiStatus: 529 });
    expect(failure(() => resultEvent(result({ is_error: true, api_error_status: 429 }), true))).toMatchObject({ kind: 'rate_limited' });
  });

  it('classifies limits and a missing structured answer', () => {
    expect(failure(() => resultEvent(result({ subtype: 'error_max_turns', errors: [] }), true)).kind).toBe('max_turns');
    expect(failure(() => resultEvent(result({ subtype: 'error_max_budget_usd', errors: [] }), true)).kind).toBe('budget');
    expect(failure(() => resultEvent(result({ structured_output: undefined }), true)).kind).toBe('invalid_output');
  });
});

describe('summariseToolCall', () => {
  it('names the path relative to the workspace and never the content', () => {
    expect(summariseToolCall('Read', { file_path: '/tmp/ws/src/a.ts' }, '/tmp/ws')).toBe('Read src/a.ts');
    expect(summariseToolCall('Grep', { pattern: 'TODO', path: '/tmp/ws' }, '/tmp/ws')).toBe('Grep TODO in .');
    expect(summariseToolCall('Write', { file_path: '/tmp/ws/x', content: 'SECRET' }, '/tmp/ws')).toBe('Write x');
  });
});
