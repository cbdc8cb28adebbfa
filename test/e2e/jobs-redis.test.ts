import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from 'eventsource-parser';
import { stringify } from 'yaml';
import { postJson, processesUnder, startRedis, startServerProcess, startSimulator, testKey, waitUntil, type RecordedRequest, type ServerProcess, type Simulator, type TestRedis } from '@ccp/testing';

// Background jobs on BullMQ: one redis-server, three real server processes (replicas) and the
// simulator, all on loopback. 30 jobs (code reviews on the claude CLI, commit messages on the
// messages engine) are submitted round robin; the replica streaming some of them is SIGKILLed
// mid-run with its claude processes (a pod lost). Every job must end
// `succeeded` or `failed` with `worker_lost`, none may run twice after spending (the
// simulator's record: at most one conversation per job), and any job's events can be read
// from any replica, live and resumed with Last-Event-ID. Then a batch submitted on one
// survivor ends on the other, its jobs run by both; and a survivor drained by SIGTERM finishes
// its running jobs while the other runs the rest. Throughout, GET /v1/status on each replica
// lists the live replicas: all three at first, the killed one gone once its summary expires,
// the drained one shown draining, then gone as soon as it has exited.

const JOBS = 30;
const GRACE_MS = 5_000; // the drain time, and so the lock: a dead replica's jobs are taken over within ~3 of these

interface Sse { id: number; event: string; data: Record<string, unknown> }

/** The Anthropic key a request to the simulator came with (the CLI sends x-api-key, the SDK a bearer token). */
const keyOf = (r: RecordedRequest) => r.headers['x-api-key'] || r.headers.authorization?.replace(/^Bearer /, '');

/** The instances a replica's GET /v1/status lists, and which of them are draining. */
async function listed(base: string, headers: Record<string, string>): Promise<{ ids: string[]; draining: string[] }> {
  const body = (await (await fetch(`${base}/v1/status`, { headers })).json()) as { instances: { instanceId: string; draining: boolean }[] };
  return { ids: body.instances.map((i) => i.instanceId), draining: body.instances.filter((i) => i.draining).map((i) => i.instanceId) };
}

/** A job's event stream from one replica, to its end (or `stopAfter` events), with its SSE ids. */
async function jobEvents(base: string, id: string, headers: Record<string, string>, timeoutMs: number, stopAfter = Infinity): Promise<Sse[]> {
  const client = new AbortController();
  const timer = setTimeout(() => client.abort(), timeoutMs);
  const events: Sse[] = [];
  try {
    const res = await fetch(`${base}/v1/jobs/${id}/events`, { headers, signal: client.signal });
    if (res.status !== 200) throw new Error(`GET ${base}/v1/jobs/${id}/events: ${res.status}`);
    const parser = createParser({ onEvent: (e) => void events.push({ id: Number(e.id), event: e.event ?? 'message', data: JSON.parse(e.data) as Record<string, unknown> }) });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    while (events.length < stopAfter) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (err) {
    if (!client.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    client.abort();
  }
  return events.slice(0, stopAfter);
}

describe('background jobs on Redis across three replicas, one killed mid-run', () => {
  let redis: TestRedis;
  let sim: Simulator;
  const replicas: ServerProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'ccp-jobs-redis-'));
  const roots = [0, 1, 2].map((i) => join(dir, `ws-${i}`));
  const key = testKey('jobs', { maxConcurrent: 64 });
  const headers = key.headers;
  /** The replicas left once one was killed. */
  let survivors: ServerProcess[] = [];
  /** Each replica's instance id, as it names itself: host name, pid and a random suffix. */
  const instanceIds = new Map<ServerProcess, string>();
  const idOf = (r: ServerProcess) => instanceIds.get(r) as string;

  beforeAll(async () => {
    redis = await startRedis();
    sim = await startSimulator();
    // Each answer streams for a few seconds, so a replica can be caught mid-run (at 60 ms a chunk
    // all 30 jobs ended in about 4 s, before a victim was chosen, and nothing was left to kill).
    sim.setFallback({ auto: true, chunkDelayMs: 150 });
    writeFileSync(
      join(dir, 'c.yaml'),
      stringify({
        auth: { keys: [key.entry] },
        rateLimits: { perKey: 100_000 },
        claude: { maxRetries: 0 },
        server: { shutdownGraceMs: GRACE_MS },
        // Two jobs at a time per replica (half the in-flight capacity): six running, the rest queued in Redis.
        admission: { maxConcurrent: 4 },
        cache: { enabled: false },
        pool: { enabled: false },
      }),
    );
    // Each replica has its own Anthropic key (the simulator's record tells who asked) and workspace root.
    const started = await Promise.all(
      roots.map((root, i) =>
        startServerProcess({ HOME: dir, CCP_CONFIG: join(dir, 'c.yaml'), ANTHROPIC_API_KEY: `sk-ant-replica-${i}`, ANTHROPIC_BASE_URL: sim.url, REDIS_URL: redis.url, CCP_WORKSPACE_ROOT: root }, 30_000),
      ),
    );
    replicas.push(...started);
    for (const r of replicas) expect(r.url).not.toBe('');
    for (const r of replicas) {
      const own = ((await (await fetch(`${r.url}/v1/status`, { headers })).json()) as { instanceId: string }).instanceId;
      expect(own).toMatch(new RegExp(`^${hostname()}:${r.child.pid}:[0-9a-f]{4}$`));
      instanceIds.set(r, own);
    }
    // Each published its summary when it started: every replica lists all three, itself first.
    for (const r of replicas) expect((await listed(r.url, headers)).ids).toEqual([idOf(r), ...replicas.filter((o) => o !== r).map(idOf).sort()]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    for (const root of roots) for (const pid of processesUnder(root)) process.kill(pid, 'SIGKILL');
    await sim?.close();
    await redis?.stop();
  });

  it(`runs ${JOBS} jobs to an end, none twice after spending, their events readable on any replica`, async () => {
    const started = Date.now();
    const path = (i: number) => `src/job-${i}.ts`;
    // Every fifth job a code review (the claude CLI), the rest commit messages (the messages
    // engine: no process, so 30 jobs fit the time on two cores); each names its own file.
    const body = (i: number) =>
      i % 5 === 0
        ? { plugin: 'code-review', operation: 'review', input: { files: [{ path: path(i), content: `export const job${i} = ${i};\n` }] } }
        : { plugin: 'commit-message', operation: 'write', input: { diff: `--- a/${path(i)}\n+++ b/${path(i)}\n@@ -1 +1 @@\n-export const job${i} = 0;\n+export const job${i} = ${i};\n` } };
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const via = replicas[i % 3] as ServerProcess;
      const res = await postJson(`${via.url}/v1/jobs`, body(i), { headers });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const submittedMs = Date.now() - started;

    // Replica 0 follows every job live, whichever replica runs it (it is never the one killed).
    const watcher = replicas[0] as ServerProcess;
    const live = ids.map((id) => jobEvents(watcher.url, id, headers, 100_000));

    // The victim: replica 1 or 2, once the simulator is streaming an answer to it (a job mid-run),
    // preferably while it also has another claude process that is not streaming (most likely
    // one still starting: a job lost before its query began, which runs again elsewhere).
    const streamingTo = (i: number) => sim.messageRequests().filter((r) => keyOf(r) === `sk-ant-replica-${i}` && r.completedAt === undefined).length;
    const busyTo = (i: number) => processesUnder(roots[i] as string).length;
    const candidate = () => [1, 2].find((i) => streamingTo(i) > 0 && busyTo(i) > streamingTo(i));
    await waitUntil(() => candidate() !== undefined, 6_000, 10);
    expect(await waitUntil(() => streamingTo(1) + streamingTo(2) > 0, 60_000, 10)).toBe(true);
    const victimIndex = candidate() ?? (streamingTo(1) >= streamingTo(2) ? 1 : 2);
    const victim = replicas[victimIndex] as ServerProcess;
    const streamingAtKill = streamingTo(victimIndex);
    const exited = once(victim.child, 'exit');
    victim.child.kill('SIGKILL');
    // A lost pod takes its claude processes with it.
    for (const pid of processesUnder(roots[victimIndex] as string)) process.kill(pid, 'SIGKILL');
    await exited;
    const killedAtMs = Date.now() - started;
    survivors = replicas.filter((r) => r !== victim);

    // Every job ends, read from the survivors in turn.
    const final = new Map<string, Record<string, unknown>>();
    const allEnded = await waitUntil(async () => {
      for (const [n, id] of ids.entries()) {
        if (final.has(id)) continue;
        const via = survivors[n % survivors.length] as ServerProcess;
        const body = (await (await fetch(`${via.url}/v1/jobs/${id}`, { headers })).json()) as Record<string, unknown>;
        if (['succeeded', 'failed', 'cancelled'].includes(String(body.state))) final.set(id, body);
      }
      return final.size === JOBS;
    }, 100_000, 250);
    const endedMs = Date.now() - started;
    const outcomes: Record<string, number> = {};
    for (const job of final.values()) {
      const outcome = job.state === 'succeeded' ? 'succeeded' : `${String(job.state)} ${String((job.error as { code?: string } | undefined)?.code)}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }

    // The simulator's record: the conversations (claude sessions) that asked about each job's file.
    const conversations = ids.map((_, i) => new Set(sim.messageRequests().filter((r) => JSON.stringify(r.messages).includes(path(i))).map((r) => r.headers['x-claude-code-session-id'] ?? `request-${r.seq}`)));
    const ranAgain = survivors.map((r) => r.output().split('\n').filter((l) => l.includes('runs again')).length).reduce((a, b) => a + b, 0);
    process.stderr.write(
      `jobs on redis: ${JSON.stringify({ jobs: JOBS, submittedMs, killedAtMs, victim: victimIndex, streamingAtKill, endedMs, outcomes, ranAgain, conversations: conversations.reduce((s, c) => s + c.size, 0), messageRequests: sim.messageRequests().length })}\n`,
    );
    expect(allEnded).toBe(true);
    for (const [n, id] of ids.entries()) {
      const job = final.get(id) as Record<string, unknown>;
      const code = (job.error as { code?: string } | undefined)?.code;
      // Every job ends succeeded, or failed as worker_lost: nothing else (no shutting_down, no stuck job).
      expect({ n, state: job.state, code: code ?? null, ok: job.state === 'succeeded' || (job.state === 'failed' && code === 'worker_lost') }).toEqual({ n, state: job.state, code: code ?? null, ok: true });
      // None ran twice after spending: at most one conversation per job (a job run again had asked nothing before), exactly one for a success.
      const seen = (conversations[n] as Set<string>).size;
      expect({ n, state: job.state, conversations: seen, ok: job.state === 'succeeded' ? seen === 1 : seen <= 1 }).toEqual({ n, state: job.state, conversations: seen, ok: true });
    }
    // The victim was killed while streaming, so at least one job was lost after it had started.
    expect(outcomes['failed worker_lost'] ?? 0).toBeGreaterThan(0);

    // Live on replica 0: each job's whole stream, numbered from 1, ending in its result or its error.
    const streams = await Promise.all(live);
    for (const [n, events] of streams.entries()) {
      const job = final.get(ids[n] as string) as Record<string, unknown>;
      expect({ n, ids: events.map((e) => e.id) }).toEqual({ n, ids: events.map((_, i) => i + 1) });
      expect({ n, first: events[0]?.event, last: events.at(-1)?.event }).toEqual({ n, first: 'start', last: job.state === 'succeeded' ? 'result' : 'error' });
      if (job.state === 'succeeded') expect(events.at(-1)?.data).toEqual(job.result);
      else expect(events.at(-1)?.data).toMatchObject({ code: 'worker_lost' });
    }
    // Resumed on the other survivor with Last-Event-ID: only the rest, the same events.
    const other = survivors.find((r) => r !== watcher) as ServerProcess;
    for (const [n, id] of ids.entries()) {
      const all = streams[n] as Sse[];
      const rest = await jobEvents(other.url, id, { ...headers, 'last-event-id': '1' }, 10_000);
      expect({ n, rest }).toEqual({ n, rest: all.slice(1) });
    }
    expect(Date.now() - started).toBeLessThan(110_000);
    // The killed replica removed nothing: its summary runs out (15 s after its last), and the survivors list only themselves.
    const alive = survivors.map(idOf).sort().join();
    expect(await waitUntil(async () => (await Promise.all(survivors.map(async (r) => (await listed(r.url, headers)).ids.sort().join()))).every((l) => l === alive), 20_000, 250)).toBe(true);
  }, 170_000);

  it('ends a batch submitted on one replica on the other, whichever ran its jobs', async () => {
    const [a, b] = survivors as [ServerProcess, ServerProcess];
    const requests = Array.from({ length: 8 }, (_, i) => ({ customId: `c${i}`, plugin: 'commit-message', operation: 'write', input: { diff: `--- a/b${i}.ts\n+++ b/b${i}.ts\n@@ -1 +1 @@\n-x\n+y${i}\n` } }));
    const res = await postJson(`${a.url}/v1/batches`, { requests }, { headers });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    let batch: { state?: string; counts?: Record<string, number> } = {};
    expect(await waitUntil(async () => (batch = (await (await fetch(`${b.url}/v1/batches/${id}`, { headers })).json()) as typeof batch).state === 'ended', 30_000, 200)).toBe(true);
    expect(batch.counts).toEqual({ queued: 0, running: 0, succeeded: 8, failed: 0, cancelled: 0 });
    // Both survivors ran some of its jobs (two places each, eight jobs that stream for a second).
    const ranOn = new Set(sim.messageRequests().filter((r) => /b\d\.ts/.test(JSON.stringify(r.messages))).map(keyOf));
    expect(ranOn.size).toBe(2);
  }, 40_000);

  it('drains a replica on SIGTERM: its running jobs finish, the rest run on the other', async () => {
    const [leaving, staying] = survivors as [ServerProcess, ServerProcess];
    sim.setFallback({ auto: true, chunkDelayMs: 100 }); // about two seconds an answer: within the drain time
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await postJson(`${leaving.url}/v1/jobs`, { plugin: 'commit-message', operation: 'write', input: { diff: `--- a/d${i}.ts\n+++ b/d${i}.ts\n@@ -1 +1 @@\n-x\n+y${i}\n` } }, { headers });
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const leavingKey = `sk-ant-replica-${replicas.indexOf(leaving)}`;
    expect(await waitUntil(() => sim.messageRequests().some((r) => keyOf(r) === leavingKey && r.completedAt === undefined && /d\d\.ts/.test(JSON.stringify(r.messages))), 20_000, 10)).toBe(true);
    const exited = once(leaving.child, 'exit');
    let gone = false;
    void exited.then(() => (gone = true));
    leaving.child.kill('SIGTERM');
    // While it finishes its jobs the other lists it as draining (published as the drain starts)…
    expect(await waitUntil(async () => gone || (await listed(staying.url, headers)).draining.includes(idOf(leaving)), 10_000, 50)).toBe(true);
    expect(gone).toBe(false);
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
    // …and once it has exited, not at all: it removed its summary, no expiry to wait for.
    expect((await listed(staying.url, headers)).ids).toEqual([idOf(staying)]);
    // A clean drain: no error logged on the way out (a job, the queue or Redis).
    expect(leaving.output().split('\n').filter((l) => /"level":(50|60)/.test(l))).toEqual([]);
    const states = new Map<string, string>();
    expect(await waitUntil(async () => {
      for (const id of ids) states.set(id, String(((await (await fetch(`${staying.url}/v1/jobs/${id}`, { headers })).json()) as { state: string }).state));
      return [...states.values()].every((s) => s === 'succeeded' || s === 'failed' || s === 'cancelled');
    }, 40_000, 200)).toBe(true);
    expect([...states.values()]).toEqual(ids.map(() => 'succeeded'));
    const requests = sim.messageRequests().filter((r) => /d\d\.ts/.test(JSON.stringify(r.messages)));
    expect(requests).toHaveLength(8); // each ran once
    expect(new Set(requests.map(keyOf))).toEqual(new Set([leavingKey, `sk-ant-replica-${replicas.indexOf(staying)}`]));
  }, 60_000);
});
