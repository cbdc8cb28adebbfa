import { startSimulator, type Simulator } from './simulator';
import { sampleFromSchema } from './sample-from-schema';

const body = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'claude-test', max_tokens: 100, system: [{ type: 'text', text: 'SYS' }], messages: [{ role: 'user', content: 'hi' }], ...extra });

async function post(sim: Simulator, payload: string) {
  return fetch(`${sim.url}/v1/messages?beta=true`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'k' }, body: payload });
}

function events(sse: string): string[] {
  return [...sse.matchAll(/^event: (\w+)$/gm)].map((m) => m[1] as string);
}

describe('Messages API simulator', () => {
  let sim: Simulator;
  beforeEach(async () => {
    sim = await startSimulator();
  });
  afterEach(() => sim.close());

  it('answers a plain request with JSON and records it', async () => {
    const res = await post(sim, body({ tools: [{ name: 'Read', input_schema: {} }] }));
    const json = (await res.json()) as { content: { type: string; text: string }[]; usage: { input_tokens: number } };
    expect(json.content[0]?.text).toContain('simulator');
    expect(json.usage.input_tokens).toBeGreaterThan(0);
    expect(sim.requests[0]).toMatchObject({ method: 'POST', system: 'SYS', tools: ['Read'], model: 'claude-test', stream: false });
    expect(sim.requests[0]?.headers['x-api-key']).toBe('k');
  });

  it('streams the Messages API event sequence', async () => {
    const text = await (await post(sim, body({ stream: true }))).text();
    expect(events(text)).toEqual(expect.arrayContaining(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']));
    expect(events(text)[0]).toBe('message_start');
    expect(events(text).at(-1)).toBe('message_stop');
  });

  it('answers the StructuredOutput tool with an object valid for its schema', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: 3 }, tags: { type: 'array', items: { enum: ['a', 'b'] } } }, required: ['n', 'tags'] };
    const res = await post(sim, body({ tools: [{ name: 'StructuredOutput', input_schema: schema }] }));
    const json = (await res.json()) as { content: { type: string; input?: unknown }[]; stop_reason: string };
    expect(json.stop_reason).toBe('tool_use');
    expect(json.content.find((c) => c.type === 'tool_use')?.input).toEqual({ n: 3, tags: ['a'] });
    expect(sampleFromSchema(schema)).toEqual({ n: 3, tags: ['a'] });
  });

  it('plays scripted faults in order, then the fallback, then the default model', async () => {
    sim.enqueue({ fault: 429, retryAfterSeconds: 7 }, { fault: 500 });
    const first = await post(sim, body());
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('7');
    expect(((await first.json()) as { error: { type: string } }).error.type).toBe('rate_limit_error');
    expect((await post(sim, body())).status).toBe(500);
    sim.setFallback({ fault: 529 });
    expect((await post(sim, body())).status).toBe(529);
    sim.setFallback(undefined);
    expect((await post(sim, body())).status).toBe(200);
  });

  it('streams slowly when asked and hangs until closed', async () => {
    sim.enqueue({ blocks: [{ type: 'text', text: 'one two three four' }], chunkDelayMs: 40 });
    const started = Date.now();
    const text = await (await post(sim, body({ stream: true }))).text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(4 * 40);
    expect(events(text).filter((e) => e === 'content_block_delta')).toHaveLength(4);

    sim.enqueue({ hang: true });
    const hung = post(sim, body()).then((r) => r.status, () => 'closed');
    await sim.waitForMessageRequests(2);
    await sim.close();
    expect(await hung).toBe('closed');
    sim = await startSimulator();
  });
});
