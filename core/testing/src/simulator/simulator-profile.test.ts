import { PROFILES, type LatencyProfile } from './profile';
import { startSimulator, type Simulator } from './simulator';

const schema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };
const tool = (name: string, input_schema: unknown = {}) => ({ name, input_schema });
const readTools = [tool('Glob'), tool('Read'), tool('Grep'), tool('StructuredOutput', schema)];

function request(tools: unknown[], messages: unknown[] = [{ role: 'user', content: 'Review these 1 file(s):\n- src/sum.ts' }], stream = true) {
  return JSON.stringify({ model: 'claude-test', max_tokens: 100, stream, tools, messages });
}

/** The conversation after the model's turn `blocks` and the CLI's tool results for them. */
function after(messages: unknown[], blocks: readonly { type: string; name?: string }[]): unknown[] {
  const uses = blocks.map((b, i) => ({ ...b, id: `toolu_${i}` }));
  const results = uses.filter((b) => b.type === 'tool_use').map((b) => ({ type: 'tool_result', tool_use_id: b.id, content: '/ws/src/sum.ts\n/ws/README.md' }));
  return [...messages, { role: 'assistant', content: uses }, { role: 'user', content: results }];
}

async function post(sim: Simulator, payload: string): Promise<string> {
  const res = await fetch(`${sim.url}/v1/messages?beta=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: payload });
  return res.text();
}

const sseEvents = (sse: string) => [...sse.matchAll(/^event: (\w+)$/gm)].length;

/** A simulator whose clock records each wait and returns at once. */
async function recorded(profile?: LatencyProfile | string) {
  const waits: number[] = [];
  const sim = await startSimulator({ ...(profile ? { profile } : {}), sleep: async (ms) => void waits.push(ms) });
  return { sim, waits };
}

/** Plays a whole review conversation (answering every tool call) and returns what the model did. */
async function conversation(sim: Simulator, tools: unknown[]) {
  let messages: unknown[] = [{ role: 'user', content: 'Review these 2 file(s):\n- src/a.ts\n- src/b.ts' }];
  for (let turn = 0; turn < 6; turn++) {
    await post(sim, request(tools, messages));
    const reply = sim.messageRequests().at(-1)?.reply ?? [];
    if (!reply.some((b) => b.type === 'tool_use' && b.name !== 'StructuredOutput')) break;
    messages = after(messages, reply);
  }
  return sim.messageRequests().map((r) => ({ calls: r.reply?.filter((b) => b.type === 'tool_use').map((b) => (b.type === 'tool_use' ? [b.name, b.input] : [])), modelMs: r.modelMs }));
}

describe('Messages API simulator with a latency profile', () => {
  const open: Simulator[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('realistic: waits 1.5 s for the first byte and 25 ms between events, calls Glob, then answers', async () => {
    const { sim, waits } = await recorded('realistic');
    open.push(sim);
    const first = await post(sim, request(readTools));
    const [glob] = sim.messageRequests();
    expect(glob?.reply?.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'Glob', input: { pattern: '**/*' } });
    expect(waits[0]).toBe(1500);
    expect(waits.slice(1)).toEqual(Array(sseEvents(first) - 1).fill(25));
    expect(glob?.modelMs).toBe(1500 + 25 * (sseEvents(first) - 1));

    waits.length = 0;
    const second = await post(sim, request(readTools, after([{ role: 'user', content: 'Review' }], glob?.reply ?? [])));
    expect(sim.messageRequests()[1]?.reply?.find((b) => b.type === 'tool_use')).toMatchObject({ name: 'StructuredOutput', input: { summary: 'simulated summary' } });
    expect(waits).toEqual([1500, ...Array(sseEvents(second) - 1).fill(25)]);
    expect(sseEvents(second)).toBeGreaterThan(10); // the answer streams in pieces, so the event rate shows
  });

  it('skips the read turn when no read tool is offered, and paces a plain request too', async () => {
    const { sim, waits } = await recorded(PROFILES.realistic);
    open.push(sim);
    await post(sim, request([tool('StructuredOutput', schema)]));
    await post(sim, request([]));
    expect(sim.messageRequests().map((r) => r.reply?.map((b) => (b.type === 'tool_use' ? b.name : 'text')))).toEqual([['text', 'StructuredOutput'], ['text']]);
    expect(waits.filter((w) => w === 1500)).toHaveLength(2);
    await post(sim, request([], undefined, false)); // a plain JSON answer waits the whole answer's time at once
    expect(waits.at(-1)).toBe(sim.messageRequests()[2]?.modelMs);
  });

  it('a plugin that may write still writes, after its read turns', async () => {
    const { sim } = await recorded({ name: 'two reads', firstByteMs: 1, eventIntervalMs: 0, toolTurns: ['Grep', 'Read'] });
    open.push(sim);
    const turns = await conversation(sim, [tool('Read'), tool('Grep'), tool('Write'), tool('StructuredOutput', schema)]);
    expect(turns.map((t) => t.calls?.map((c) => c[0]))).toEqual([['Grep'], ['Read'], ['Write'], ['StructuredOutput']]);
    expect(turns[1]?.calls?.[0]?.[1]).toEqual({ file_path: expect.stringMatching(/^\/ws\//) }); // a file the earlier result listed
  });

  it('is deterministic: the same seed gives the same waits and tool calls, another seed other waits', async () => {
    const profile = (seed: number): LatencyProfile => ({ name: 'jittery', firstByteMs: 400, eventIntervalMs: 20, jitter: 0.5, toolTurns: ['any', 'any', 'Read'], seed });
    const run = async (seed: number) => {
      const { sim, waits } = await recorded(profile(seed));
      open.push(sim);
      return { turns: await conversation(sim, readTools), waits };
    };
    const a = await run(11);
    const b = await run(11);
    const c = await run(12);
    expect(b).toEqual(a);
    expect(a.turns).toHaveLength(4);
    expect(c.waits).not.toEqual(a.waits);
    expect(new Set(a.waits).size).toBeGreaterThan(3);
  });

  it('setProfile switches pacing per test and back; without a profile nothing waits', async () => {
    const { sim, waits } = await recorded();
    open.push(sim);
    await post(sim, request(readTools));
    expect(waits).toEqual([]);
    expect(sim.messageRequests()[0]?.reply?.map((b) => b.type)).toEqual(['text', 'tool_use']);
    expect(sim.messageRequests()[0]?.modelMs).toBe(0);
    sim.setProfile('realistic');
    expect(sim.profile?.name).toBe('realistic');
    await post(sim, request(readTools));
    expect(waits[0]).toBe(1500);
    sim.setProfile(undefined);
    waits.length = 0;
    await post(sim, request(readTools));
    expect(waits).toEqual([]);
  });

  it('really waits on the real clock (loose bounds)', async () => {
    const sim = await startSimulator({ profile: { name: 'short', firstByteMs: 150, eventIntervalMs: 2 } });
    open.push(sim);
    const started = performance.now();
    await post(sim, request([]));
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(10_000);
  });
});
