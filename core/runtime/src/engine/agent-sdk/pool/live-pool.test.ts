import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ClaudeError, type ClaudeRequest } from '../../types';
import { parseConfig } from '../../../config/load-config';
import { createLogger } from '../../../logging/logger';
import { Metrics } from '../../../metrics/metrics';
import { LivePool } from './live-pool';
import { ProcessLauncher } from '../process/launcher';

// What the pool refuses to keep, decided before any process is involved: the SDK functions
// here throw if they are ever called. (Reuse itself is tested with the real CLI in
// test/e2e/pool.test.ts.)

const never = () => {
  throw new Error('no process may be started');
};

async function pool(): Promise<LivePool> {
  const metrics = new Metrics();
  const launcher = new ProcessLauncher({ sdk: { query: never, prewarm: never }, env: {}, workspaceRoot: await mkdtemp(join(tmpdir(), 'ccp-pool-')), metrics });
  return new LivePool({ ...parseConfig({ pool: { enabled: true, sparesPerOperation: 0 } }).pool, maxProcesses: 4 }, { launcher, logger: createLogger('silent', { values: [], patterns: [] }), metrics });
}

const request = (over: Partial<ClaudeRequest> = {}): ClaudeRequest => ({
  requestId: 'r', pluginId: 'p', operation: 'o', caller: 'alice', systemPrompt: 's', prompt: 'q', files: [],
  tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1000, ...over,
});

describe('LivePool', () => {
  it('keeps no process for a session turn, an operation that may run programs, or a call without a caller', async () => {
    const p = await pool();
    expect(await p.lease(request({ session: { id: 's', resume: false } }))).toBeUndefined();
    expect(await p.lease(request({ tools: { allow: ['Read', 'Bash'], mode: 'dontAsk' } }))).toBeUndefined();
    expect(await p.lease(request({ caller: undefined }))).toBeUndefined();
    await p.close();
  });

  it('keeps no process for a plugin with defined tools (their server is bound to one call; a spare fixes its servers at prewarm)', async () => {
    const metrics = new Metrics();
    const launcher = new ProcessLauncher({ sdk: { query: never, prewarm: never }, env: {}, workspaceRoot: await mkdtemp(join(tmpdir(), 'ccp-pool-')), metrics });
    const started = jest.spyOn(launcher, 'live');
    const p = new LivePool({ ...parseConfig({ pool: { enabled: true, sparesPerOperation: 0 } }).pool, maxProcesses: 4 }, { launcher, logger: createLogger('silent', { values: [], patterns: [] }), metrics });
    const tool = { name: 'count', description: 'c', input: z.object({}), run: async () => 0 };
    expect(await p.lease(request({ tools: { allow: ['Read'], mode: 'dontAsk', define: [tool] } }))).toBeUndefined();
    expect(started).not.toHaveBeenCalled();
    await p.lease(request());
    expect(started).toHaveBeenCalledTimes(1); // the same plugin without defined tools is pooled
    await p.close();
  });

  it('refuses new calls once closing, as shutting_down', async () => {
    const p = await pool();
    await p.close();
    await expect(p.lease(request())).rejects.toEqual(expect.objectContaining({ kind: 'shutting_down' }));
    await expect(p.lease(request())).rejects.toBeInstanceOf(ClaudeError);
  });
});
