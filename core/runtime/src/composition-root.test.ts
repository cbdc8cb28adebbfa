import { CLAUDE_CLIENT, LOGGER } from '@ccp/plugin-api';
import { FakeClaudeClient } from '@ccp/testing';
import { assertRegistered, createRuntime, MissingDependenciesError } from './composition-root';
import { parseConfig } from './config/load-config';
import { METRICS } from './tokens';

describe('composition root', () => {
  it('names every missing registration in one error', () => {
    const registered = new Set<symbol>([LOGGER]);
    let error: unknown;
    try {
      assertRegistered((t) => registered.has(t), [LOGGER, CLAUDE_CLIENT, METRICS]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MissingDependenciesError);
    expect((error as MissingDependenciesError).missing).toEqual(['ClaudeClient', 'Metrics']);
  });

  it('builds independent runtimes that can live in one process', async () => {
    const config = parseConfig({ logging: { level: 'silent' } });
    const a = await createRuntime({ config, secrets: {}, claudeClient: new FakeClaudeClient() });
    const b = await createRuntime({ config, secrets: {}, claudeClient: new FakeClaudeClient() });
    expect(a.metrics).not.toBe(b.metrics);
    expect(a.app).not.toBe(b.app);
    await a.dispose();
    await b.dispose();
  });
});
