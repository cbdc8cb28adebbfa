import { FakeEngine } from '@ccp/testing';
import { EngineRouter } from './router';
import type { ClaudeRequest } from './types';

const request = (engine?: string): ClaudeRequest => ({
  requestId: 'r', pluginId: 'p', operation: 'o', systemPrompt: 's', prompt: 'q', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1000, ...(engine ? { engine } : {}),
});

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) void _;
}

describe('EngineRouter', () => {
  it('runs a call on the engine its plugin names, and on agent when it names none', async () => {
    const agent = new FakeEngine();
    const other = new FakeEngine();
    const router = new EngineRouter({ agent, other });
    await drain(router.run(request('other')));
    await drain(router.run(request()));
    expect(other.requests.map((r) => r.engine)).toEqual(['other']);
    expect(agent.requests.map((r) => r.engine)).toEqual([undefined]);
  });

  it('refuses a call for an engine that is not registered, as bad_request', () => {
    expect(() => new EngineRouter({ agent: new FakeEngine() }).run(request('nope'))).toThrow(expect.objectContaining({ kind: 'bad_request' }));
  });

  it('names every plugin whose engine is missing, and the engines there are', () => {
    const router = new EngineRouter({ agent: new FakeEngine(), other: new FakeEngine() });
    expect(router.names).toEqual(['agent', 'other']);
    const plugin = (id: string, engine?: string) => ({ id, engine, tools: { allow: [] }, operations: new Map() });
    expect(router.missing([plugin('a'), plugin('b', 'other'), plugin('c', 'gone')])).toEqual(['plugins.c: engine "gone" is not available (available: agent, other)']);
    expect(new EngineRouter({}).missing([plugin('a')])).toEqual(['plugins.a: engine "agent" is not available (available: )']);
  });

  it('asks an engine whether it can run each plugin', () => {
    const router = new EngineRouter({ agent: new FakeEngine(), strict: new FakeEngine() }, { strict: (p) => (p.tools.allow.length ? [`plugins.${p.id}: no tools here`] : []) });
    expect(router.missing([{ id: 'x', engine: 'strict', tools: { allow: ['Read'] }, operations: new Map() }, { id: 'y', engine: 'strict', tools: { allow: [] }, operations: new Map() }])).toEqual(['plugins.x: no tools here']);
  });
});
