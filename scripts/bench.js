#!/usr/bin/env node
// `npm run bench`: side-by-side measurements against the Messages API simulator on
// 127.0.0.1, written to docs/benchmarks.md. Not part of the test pass/fail. Bounded in
// calls and seconds; touches nothing but loopback.
//
//   BENCH_CALLS     review calls per throughput level (default 200)
//   BENCH_LATENCY   sequential calls for the latency table (default 10)
//   BENCH_LEVELS    concurrency levels (default 1,4,16,64)
//   BENCH_SECTIONS  which sections run (default base,real,engines,sources): base is latency,
//                   throughput, cache hits and memory against an instant simulator; real is
//                   scripts/bench/real-latency.js, engines scripts/bench/engines.js, sources
//                   scripts/bench/sources.js (each lists its own variables)
//   BENCH_OUT       the Markdown file written, its charts in images/ beside it (default
//                   docs/benchmarks.md when every section runs, else a file under the temp dir)
'use strict';
const { execFile, execSync } = require('node:child_process');
const { mkdirSync, mkdtempSync, writeFileSync, readFileSync } = require('node:fs');
const { cpus, freemem, totalmem, tmpdir } = require('node:os');
const { dirname, join, relative } = require('node:path');
const express = require('express');
const { enginesSection } = require('./bench/engines');
const { realLatencySection } = require('./bench/real-latency');
const { sourcesSection } = require('./bench/sources');
const { log, ms, pct } = require('./bench/stats');

const root = join(__dirname, '..');
const { startSimulator, startTestRuntime, startServerProcess, postJson, readEventStream, processesUnder } = require(join(root, 'core/testing/dist'));
const ALL_SECTIONS = ['base', 'real', 'engines', 'sources'];
const SECTIONS = (process.env.BENCH_SECTIONS ?? ALL_SECTIONS.join(',')).split(',').map((x) => x.trim()).filter(Boolean);
const OUT = process.env.BENCH_OUT ?? (ALL_SECTIONS.every((x) => SECTIONS.includes(x)) ? join(root, 'docs/benchmarks.md') : join(tmpdir(), 'ccp-bench', 'benchmarks.md'));

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const LATENCY_CALLS = Number(process.env.BENCH_LATENCY ?? 10);
const CACHE_ROUNDS = 3;
const MEMORY_SPARES = 2;
const LEVELS = (process.env.BENCH_LEVELS ?? '1,4,16,64').split(',').map(Number);
const review = { files: [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);\n' }] };
const outputSchema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };

/** One plain SDK query() as a script would run it: cold spawn, the SDK's defaults otherwise. */
async function plainQuery(sdk, sim) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plain-'));
  writeFileSync(join(dir, 'sum.ts'), review.files[0].content);
  const started = performance.now();
  let ttft;
  let ok = false;
  for await (const m of sdk.query({
    prompt: 'Review sum.ts',
    options: {
      cwd: dir,
      settingSources: [],
      tools: ['Read', 'Grep', 'Glob'],
      permissionMode: 'dontAsk',
      includePartialMessages: true,
      outputFormat: { type: 'json_schema', schema: outputSchema },
      env: { PATH: process.env.PATH, HOME: dir, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: sim.url },
    },
  })) {
    if (ttft === undefined && (m.type === 'stream_event' || m.type === 'assistant')) ttft = performance.now() - started;
    if (m.type === 'result') ok = m.subtype === 'success' && !m.is_error;
  }
  return { ttft, total: performance.now() - started, ok };
}

/** One call through the platform over SSE, timing the first text event. */
async function platformCall(url, headers) {
  const started = performance.now();
  let ttft;
  const res = await postJson(`${url}/v1/plugins/code-review/review`, review, { headers: { ...headers, accept: 'text/event-stream', 'cache-control': 'no-cache' } });
  if (res.status !== 200) return { total: performance.now() - started, ok: false, status: res.status };
  const events = await readEventStream(res, (e) => {
    if (ttft === undefined && e.event === 'text') ttft = performance.now() - started;
  });
  return { ttft, total: performance.now() - started, ok: events.at(-1)?.event === 'result', status: 200 };
}

async function latency(label, run) {
  const rows = [];
  for (let i = 0; i < LATENCY_CALLS; i++) rows.push(await run());
  const ttft = rows.map((r) => r.ttft).filter((x) => x !== undefined);
  const total = rows.map((r) => r.total);
  log(`${label}: ttft p50 ${ms(pct(ttft, 50))}, total p50 ${ms(pct(total, 50))}`);
  return { label, ttft50: pct(ttft, 50), ttft95: pct(ttft, 95), total50: pct(total, 50), total95: pct(total, 95), errors: rows.filter((r) => !r.ok).length };
}

async function throughput(label, concurrency, run) {
  let next = 0;
  const results = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < CALLS) {
        next++;
        results.push(await run());
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const errors = results.filter((r) => !r.ok);
  const typed503 = errors.filter((r) => r.status === 503).length;
  log(`${label} c=${concurrency}: ${(CALLS / seconds).toFixed(2)}/s, ${errors.length} errors`);
  return { label, concurrency, perSecond: CALLS / seconds, seconds, errors: errors.length - typed503, refused503: typed503 };
}

function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}


const hasTaskset = (() => {
  try {
    execSync('taskset -p 1', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * autocannon in its own process, pinned to the second core while this process (the
 * servers) is pinned to the first, so the load generator never takes the server's core.
 */
function cannon(url, headers, method = 'POST', { seconds = 3 } = {}) {
  const body = method === 'POST' ? ['-b', JSON.stringify(review)] : [];
  const args = ['-c', '16', '-d', String(seconds), '-m', method, ...body, '-j', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  const command = [process.execPath, require.resolve('autocannon/autocannon.js'), ...args];
  return new Promise((resolve, reject) => {
    execFile(hasTaskset ? 'taskset' : command[0], hasTaskset ? ['-c', '1', ...command] : command.slice(1), { maxBuffer: 64 * 2 ** 20 }, (err, stdout) => {
      if (err) return reject(err);
      const result = JSON.parse(stdout);
      resolve({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors });
    });
  });
}

const ms2 = (x) => `${x.toFixed(2)} ms`;
const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * The real server as its own process (as an operator runs it), with the pool on: its RSS
 * at idle, then after one call, once the pool holds the caller's live process and the
 * operation's parked spares; and the RSS of each of those `claude` processes.
 */
async function measureMemory(sim, key, hashKey) {
  const { stringify } = require('yaml');
  const dir = mkdtempSync(join(tmpdir(), 'bench-mem-'));
  const workspaceRoot = join(dir, 'ws');
  const file = join(dir, 'c.yaml');
  writeFileSync(file, stringify({ auth: { keys: [{ name: 'bench', sha256: hashKey(key) }] }, claude: { workspaceRoot }, pool: { enabled: true, sparesPerOperation: MEMORY_SPARES, maxProcesses: MEMORY_SPARES + 1 } }));
  const server = await startServerProcess({ HOME: dir, CCP_CONFIG: file, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: sim.url });
  if (!server.url) throw new Error(`the server did not start: ${server.output()}`);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idle = rssOf(server.child.pid);
    await platformCall(server.url, { authorization: `Bearer ${key}`, 'content-type': 'application/json' });
    const want = MEMORY_SPARES + 1;
    for (let i = 0; i < 300 && processesUnder(workspaceRoot).length < want; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 2000)); // let the spares finish starting
    const children = processesUnder(workspaceRoot).map(rssOf);
    return { idle, withPool: rssOf(server.child.pid), children };
  } finally {
    await server.stop();
  }
}

/** scripts/latency-probe.js on the second core: one request at a time, microsecond timing. */
function probe(url, headers, method, seconds) {
  const body = method === 'POST' ? JSON.stringify(review) : '-';
  const command = [process.execPath, join(__dirname, 'latency-probe.js'), url, method, body, JSON.stringify(headers), String(seconds)];
  return new Promise((resolve, reject) => {
    execFile(hasTaskset ? 'taskset' : command[0], hasTaskset ? ['-c', '1', ...command] : command.slice(1), (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout))));
  });
}

/** The median run (by requests/s) of several. */
const medianRun = (runs) => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)];

/** Latency, throughput, cache hits and memory against the simulator answering at once. */
async function baseSections(sim, hashKey) {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  const key = 'ccp_bench_key_0000000000000000000000000';
  // One key per sample of the "new caller" row: each such call finds no process of its own.
  const newcomers = Array.from({ length: LATENCY_CALLS }, (_, i) => `ccp_bench_newcomer_${String(i).padStart(20, '0')}`);
  const rt = await startTestRuntime({
    simulator: sim,
    config: {
      auth: { enabled: true, keys: [{ name: 'bench', sha256: hashKey(key), maxConcurrent: 1000 }] },
      rateLimits: { perKey: 10_000_000 },
      cache: { enabled: true },
      admission: { queueSize: 256 },
    },
  });
  const pooled = await startTestRuntime({
    simulator: sim,
    config: {
      auth: {
        enabled: true,
        keys: [{ name: 'bench', sha256: hashKey(key), maxConcurrent: 1000 }, ...newcomers.map((k, i) => ({ name: `newcomer-${i}`, sha256: hashKey(k) }))],
      },
      rateLimits: { perKey: 10_000_000 },
      admission: { queueSize: 256 },
      // The pool's process cap is left to the default: derived from memory like admission.
      pool: { enabled: true, sparesPerOperation: 1 },
    },
  });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const parked = async () => {
    // Waits until the pool is at rest: no process starting, clearing or busy.
    const gauge = async (state) =>
      ((await pooled.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'ccp_pool_processes')?.values ?? []).find((v) => v.labels.state === state)?.value ?? 0;
    for (let i = 0; i < 200 && ((await gauge('warming')) > 0 || (await gauge('busy')) > 0 || (await gauge('spare')) < 1); i++) await new Promise((r) => setTimeout(r, 50));
  };
  const warmUp = async () => {
    await platformCall(pooled.url, headers); // teaches the pool the operation; leaves the caller a live process
    await parked();
  };
  log('latency…');
  await warmUp();
  const lat = [
    await latency('plain SDK query() (cold spawn)', () => plainQuery(sdk, sim)),
    await latency('platform, no pool (cold spawn)', () => platformCall(rt.url, headers)),
    await latency("platform, warm pool: the caller's live process", () => platformCall(pooled.url, headers)),
    await latency('platform, warm pool: a new caller claims a parked spare', async () => {
      await parked();
      return platformCall(pooled.url, { ...headers, authorization: `Bearer ${newcomers.shift()}` });
    }),
  ];

  log('throughput…');
  const thr = [];
  for (const c of LEVELS) {
    thr.push(await throughput('plain SDK query()', c, () => plainQuery(sdk, sim)));
    thr.push(await throughput('platform, no pool', c, () => platformCall(rt.url, headers)));
    thr.push(await throughput('platform, warm pool', c, () => platformCall(pooled.url, headers)));
  }

  const poolLimits = Object.fromEntries(
    ((await pooled.runtime.metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'ccp_admission_limit')?.values ?? []).map((v) => [v.labels.kind, v.value]),
  );

  log('memory…');
  const memory = await measureMemory(sim, key, hashKey);

  log('cache hits vs bare express…');
  await Promise.all([rt.close(), pooled.close()]); // nothing but the cache-hit server and bare express from here on
  const cached = await startTestRuntime({
    simulator: sim,
    config: {
      auth: { enabled: true, keys: [{ name: 'bench', sha256: hashKey(key), maxConcurrent: 1000 }] },
      rateLimits: { perKey: 10_000_000 },
      cache: { enabled: true },
    },
  });
  await postJson(`${cached.url}/v1/plugins/code-review/review`, review, { headers }); // fills the cache
  const bare = express();
  bare.use(express.json());
  bare.post('/hello', (_req, res) => res.json({ hello: 'world' }));
  const bareServer = await new Promise((r) => {
    const s = bare.listen(0, '127.0.0.1', () => r(s));
  });
  const helloUrl = `http://127.0.0.1:${bareServer.address().port}/hello`;
  const hitUrl = `${cached.url}/v1/plugins/code-review/review`;
  const json = { 'content-type': 'application/json' };
  if (hasTaskset) execSync(`taskset -a -p -c 0 ${process.pid}`, { stdio: 'ignore' });
  await cannon(hitUrl, headers, 'POST', { seconds: 2 }); // warm-up (JIT), not counted
  await cannon(helloUrl, json, 'POST', { seconds: 2 });
  const hits = [];
  const hellos = [];
  for (let i = 0; i < CACHE_ROUNDS; i++) {
    hits.push(await cannon(hitUrl, headers));
    hellos.push(await cannon(helloUrl, json));
  }
  const hit = medianRun(hits);
  const hello = medianRun(hellos);
  // Where the time goes: the same stack without authentication and body, then with both but no query.
  const live = await cannon(`${cached.url}/health/live`, {}, 'GET');
  const authed = await cannon(`${cached.url}/v1/plugins`, headers, 'GET');
  // Latency without queueing: one connection, one request at a time.
  const hitAlone = await probe(hitUrl, headers, 'POST', 5);
  const helloAlone = await probe(helloUrl, json, 'POST', 5);
  bareServer.close();
  await cached.close();
  // The sections after this one run on every core again (children inherit the affinity).
  if (hasTaskset) execSync(`taskset -a -p -c 0-${cpus().length - 1} ${process.pid}`, { stdio: 'ignore' });

  const plain = lat[0];
  const platform = lat[1];
  const at = (label, c) => thr.find((t) => t.label === label && t.concurrency === c) ?? thr.filter((t) => t.label === label).at(-1);
  const lines = [
    '## Latency (sequential calls)',
    '',
    '| path | time to first token p50 | p95 | total p50 | p95 | errors |',
    '|---|---|---|---|---|---|',
    ...lat.map((l) => `| ${l.label} | ${ms(l.ttft50)} | ${ms(l.ttft95)} | ${ms(l.total50)} | ${ms(l.total95)} | ${l.errors} |`),
    '',
    `Platform overhead on a non-cached call: ${ms(platform.total50 - plain.total50)} at p50 (${(((platform.total50 - plain.total50) / plain.total50) * 100).toFixed(1)} % of the plain call; negative means the platform is faster: it skips the CLI's connectivity check and session-title request).`,
    '',
    `Time to first token through the warm pool: ${ms(lat[2].ttft50)} at p50 when the caller's live process answers (${(lat[2].ttft50 / plain.ttft50).toFixed(2)} × the plain cold query(); target ≤ 0.25 ×), ${ms(lat[3].ttft50)} when a new caller claims a parked spare (${(lat[3].ttft50 / plain.ttft50).toFixed(2)} ×). A claimed spare still does the start-up work the SDK leaves for the claim (working directory, session registration, CLAUDE.md and git context, transcript location); a live process did all of it for the caller's first call.`,
    '',
    '## Throughput (review calls)',
    '',
    '| path | concurrency | calls/s | wall time | errors | typed 503 refusals |',
    '|---|---|---|---|---|---|',
    ...thr.map((t) => `| ${t.label} | ${t.concurrency} | ${t.perSecond.toFixed(2)} | ${t.seconds.toFixed(1)} s | ${t.errors} | ${t.refused503} |`),
    '',
    `At concurrency 16 the platform with the warm pool ran ${(at('platform, warm pool', 16).perSecond / at('plain SDK query()', 16).perSecond).toFixed(2)} × the plain SDK's throughput (target ≥ 5 ×), and without the pool ${(at('platform, no pool', 16).perSecond / at('plain SDK query()', 16).perSecond).toFixed(2)} ×. Without the pool the gain is admission control alone: the platform runs \`admission.maxConcurrent\` queries at once (derived from memory) and starts at most \`admission.maxStarting\` processes at a time (one per CPU), queueing the rest, while the plain script starts every process at once and the CPUs thrash. With the pool the caller's calls run in processes that are already up (at most \`admission.maxConcurrent\` of them busy at once), so after the first few calls no process starts at all and a call costs tens of milliseconds of CPU instead of about 1.8 CPU-seconds.`,
    '',
    '## Cache hits through the full stack',
    '',
    `autocannon, 16 connections${hasTaskset ? ', pinned to the second core while the servers run on the first' : ''}; after a 2 s warm-up of each target, ${CACHE_ROUNDS} alternating 3 s rounds of the cache hit and bare express, the median round of each shown. The platform path includes request id, metrics, helmet, JSON parsing, authentication, the per-key rate limit, validation, the cache look-up and the response.`,
    '',
    '| target | requests/s | p50 | p99 | non-2xx |',
    '|---|---|---|---|---|',
    `| platform, cache hit (POST /v1/plugins/code-review/review) | ${hit.rps.toFixed(0)} | ${hit.p50} ms | ${hit.p99} ms | ${hit.non2xx} |`,
    `| bare express 5 (POST /hello) | ${hello.rps.toFixed(0)} | ${hello.p50} ms | ${hello.p99} ms | ${hello.non2xx} |`,
    `| platform, GET /health/live (request id, metrics, helmet; no auth) | ${live.rps.toFixed(0)} | ${live.p50} ms | ${live.p99} ms | ${live.non2xx} |`,
    `| platform, GET /v1/plugins (+ authentication, the per-key rate limit and a small JSON listing) | ${authed.rps.toFixed(0)} | ${authed.p50} ms | ${authed.p99} ms | ${authed.non2xx} |`,
    '',
    `All rounds, requests/s: cache hit ${hits.map((h) => h.rps.toFixed(0)).join(', ')}; bare express ${hellos.map((h) => h.rps.toFixed(0)).join(', ')}.`,
    '',
    `Cache hits reach ${((hit.rps / hello.rps) * 100).toFixed(0)} % of bare express's requests per second (target: 50 %). Where the rest goes: the common middleware leaves ${((live.rps / hello.rps) * 100).toFixed(0)} % (the liveness row), authentication, the rate limiter and the /v1 routing ${((authed.rps / hello.rps) * 100).toFixed(0)} %, then JSON parsing, input validation, the cache key and the cached body's serialisation ${((hit.rps / hello.rps) * 100).toFixed(0)} %.`,
    '',
    `Latency of a request on its own (scripts/latency-probe.js: one keep-alive connection, one request at a time for 5 s, timed to the microsecond): cache hit p50 ${ms2(hitAlone.p50)}, p99 ${ms2(hitAlone.p99)} over ${hitAlone.count} requests (${hitAlone.failures} failed); bare express p50 ${ms2(helloAlone.p50)}, p99 ${ms2(helloAlone.p99)} over ${helloAlone.count}. Target for the cache hit: p99 under 5 ms. At saturation (the table) latency is mostly queueing, 16 connections waiting on one core; there even bare express shows p99 ${hello.p99} ms.`,
    '',
    '## Memory',
    '',
    `The server as its own process (\`node apps/server/dist/server.js\`), pool on with ${MEMORY_SPARES} spares per operation; resident set sizes.`,
    '',
    '| what | RSS |',
    '|---|---|',
    `| platform server process, idle (no claude process) | ${mib(memory.idle)} |`,
    `| platform server process, after one call, with the pool holding ${memory.children.length} claude processes | ${mib(memory.withPool)} |`,
    `| each claude process (the caller's live process and ${MEMORY_SPARES} parked spares) | ${memory.children.map(mib).join(', ') || 'not measured'} |`,
    `| total with the pool | ${mib(memory.withPool + memory.children.reduce((a, b) => a + b, 0))} |`,
    '',
  ];
  const notes = [
    '- In the sections above the simulator answers at once, so every figure there is the cost of the platform and the `claude` CLI themselves; with a real model the call time is dominated by the model, and the pool saves the same absolute amount (the process start) per call.',
    '- A live process serves one caller and one plugin operation. Between calls it is sent `/clear` (a new conversation: the next API request carries nothing of the earlier call, which `test/e2e/pool.test.ts` checks against the simulator\'s record) and its folder is emptied. Callers that each send one call a day gain nothing from it; they get the spare row.',
    `- Throughput runs ${CALLS} review calls per level, one API key for all of them. The pool runtime here has \`sparesPerOperation: 1\` and the default, memory-derived caps (${poolLimits.in_flight} calls in flight, ${poolLimits.pool_processes} pool processes, ${poolLimits.starting} starting at once): a caller's calls reuse at most as many processes as admission lets run at once, and a call that finds the pool full runs in a one-off process, so a \`pool.maxProcesses\` set below \`admission.maxConcurrent\` plus the spares turns every call above it into a cold start (a run with \`maxProcesses: 8\` fell from 9.1 calls/s at concurrency 4 to 6.7 at 16).`,
  ];
  return { lines, notes, header: `Calls per throughput level: ${CALLS}; latency samples: ${LATENCY_CALLS}.` };
}

async function main() {
  const unknown = SECTIONS.filter((x) => !ALL_SECTIONS.includes(x));
  if (unknown.length) throw new Error(`BENCH_SECTIONS: unknown ${unknown.join(', ')} (known: ${ALL_SECTIONS.join(', ')})`);
  const sim = await startSimulator();
  const { hashKey } = require(join(root, 'core/runtime/dist'));
  const claudeVersion = execSync(`${join(root, 'node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude')} --version`, { encoding: 'utf8' }).trim();
  const imagesDir = join(dirname(OUT), 'images');
  mkdirSync(imagesDir, { recursive: true });
  const base = SECTIONS.includes('base') ? await baseSections(sim, hashKey) : undefined;
  const real = SECTIONS.includes('real') ? await realLatencySection({ sim, hashKey, imagesDir, imagesHref: 'images' }) : undefined;
  const engines = SECTIONS.includes('engines') ? await enginesSection({ sim, hashKey }) : undefined;
  const sources = SECTIONS.includes('sources') ? await sourcesSection() : undefined;
  await sim.close();

  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, one run${SECTIONS.length < ALL_SECTIONS.length ? ` of the sections ${SECTIONS.join(', ')}` : ''}, everything on 127.0.0.1 against the Messages API simulator. It answers at once${real ? " except in **Real model latency**, where it answers at a real model's pace" : ''}.`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Node ${process.version}, claude ${claudeVersion}.${base ? ` ${base.header}` : ''}`,
    '',
    ...(base?.lines ?? []),
    ...(real?.lines ?? []),
    ...(engines?.lines ?? []),
    ...(sources?.lines ?? []),
    '## How to read this',
    '',
    ...(base?.notes ?? []),
    ...(sources?.notes ?? []),
    ...(real
      ? [
          '- Real model latency: a review mostly waits on the model, and a waiting `claude` uses little CPU but holds its memory; starting one is CPU-bound (about 1.8 CPU-seconds). Admission and memory decide how many reviews may wait at once; on a small host the CPU a warm `claude` still burns per review (parsing the stream, running its read tools: the CPU s column over the answered reviews) sets a second ceiling, cores × 60 / CPU-seconds per review, which the targets name when it binds. The plain script starts every process at once and pays every start in every round.',
        ]
      : []),
    '',
  ];
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, lines.join('\n'));
  log(`wrote ${relative(process.cwd(), OUT).startsWith('..') ? OUT : relative(process.cwd(), OUT)}`);
  const targets = [...(real?.targets ?? []), ...(engines?.targets ?? [])];
  if (targets.length) log(['targets:', ...targets.map((t) => `  ${t.verdict.padEnd(12)} ${t.name}${t.figures ? `: ${t.figures}` : ''}`)].join('\n'));
}

main().catch((err) => {
  log(`bench failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
