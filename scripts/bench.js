#!/usr/bin/env node
// `npm run bench`: side-by-side measurements against the Messages API simulator on
// 127.0.0.1, written to docs/benchmarks.md. Not part of the test pass/fail. Bounded in
// calls and seconds; touches nothing but loopback.
//
//   BENCH_CALLS     review calls per throughput level (default 200)
//   BENCH_LATENCY   sequential calls for the latency table (default 10)
//   BENCH_LEVELS    concurrency levels (default 1,4,16,64)
'use strict';
const { execFile, execSync } = require('node:child_process');
const { mkdtempSync, writeFileSync, readFileSync } = require('node:fs');
const { cpus, freemem, totalmem, tmpdir } = require('node:os');
const { join } = require('node:path');
const express = require('express');

const root = join(__dirname, '..');
const { startSimulator, startTestRuntime, postJson, readEventStream, processesUnder } = require(join(root, 'core/testing/dist'));

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
const LATENCY_CALLS = Number(process.env.BENCH_LATENCY ?? 10);
const POOL_MAX = 8;
const LEVELS = (process.env.BENCH_LEVELS ?? '1,4,16,64').split(',').map(Number);
const review = { files: [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);\n' }] };
const outputSchema = { type: 'object', properties: { summary: { type: 'string' } }, required: ['summary'] };

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ms = (x) => `${Math.round(x)} ms`;
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);

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


/** autocannon in its own process, so the load generator does not share the server's event loop. */
function cannon(url, headers, method = 'POST') {
  const body = method === 'POST' ? ['-b', JSON.stringify(review)] : [];
  const args = ['-c', '16', '-d', '5', '-m', method, ...body, '-j', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [require.resolve('autocannon/autocannon.js'), ...args], { maxBuffer: 64 * 2 ** 20 }, (err, stdout) => {
      if (err) return reject(err);
      const result = JSON.parse(stdout);
      resolve({ rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors });
    });
  });
}

async function main() {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  const sim = await startSimulator();
  const key = 'ccp_bench_key_0000000000000000000000000';
  const { hashKey } = require(join(root, 'core/runtime/dist'));
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
      pool: { enabled: true, sparesPerOperation: 1, maxProcesses: POOL_MAX },
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
  const claudeVersion = execSync(`${join(root, 'node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude')} --version`, { encoding: 'utf8' }).trim();

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

  log('memory…');
  await parked();
  const poolRss = processesUnder(pooled.workspaceRoot).map(rssOf);
  const idleRss = process.memoryUsage().rss;
  sim.setFallback({ hang: true });
  const hanging = new AbortController();
  const pending = postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers: { ...headers, 'cache-control': 'no-cache' }, signal: hanging.signal }).catch(() => undefined);
  await sim.waitForMessageRequests(sim.messageRequests().length + 1);
  const childRss = processesUnder(rt.workspaceRoot).map(rssOf);
  hanging.abort();
  await pending;
  sim.setFallback(undefined);

  log('cache hits vs bare express…');
  await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers }); // warm the cache
  const hit = await cannon(`${rt.url}/v1/plugins/code-review/review`, headers);
  // Where the time goes: the same stack without authentication and body, then with both but no query.
  const live = await cannon(`${rt.url}/health/live`, {}, 'GET');
  const authed = await cannon(`${rt.url}/v1/plugins`, headers, 'GET');
  const bare = express();
  bare.use(express.json());
  bare.post('/hello', (_req, res) => res.json({ hello: 'world' }));
  const bareServer = await new Promise((r) => {
    const s = bare.listen(0, '127.0.0.1', () => r(s));
  });
  const hello = await cannon(`http://127.0.0.1:${bareServer.address().port}/hello`, { 'content-type': 'application/json' });
  bareServer.close();

  await rt.close();
  await pooled.close();
  await sim.close();

  const plain = lat[0];
  const platform = lat[1];
  const at16 = (label) => thr.find((t) => t.label === label && t.concurrency === Math.max(...LEVELS));
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, one run, everything on 127.0.0.1 against the Messages API simulator (which answers at once, so these times are the platform's and the CLI's own).`,
    '',
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free), Node ${process.version}, claude ${claudeVersion}. Calls per throughput level: ${CALLS}; latency samples: ${LATENCY_CALLS}.`,
    '',
    '## Latency (sequential calls)',
    '',
    '| path | time to first token p50 | p95 | total p50 | p95 | errors |',
    '|---|---|---|---|---|---|',
    ...lat.map((l) => `| ${l.label} | ${ms(l.ttft50)} | ${ms(l.ttft95)} | ${ms(l.total50)} | ${ms(l.total95)} | ${l.errors} |`),
    '',
    `Platform overhead on a non-cached call: ${ms(platform.total50 - plain.total50)} at p50 (${(((platform.total50 - plain.total50) / plain.total50) * 100).toFixed(1)} % of the plain call; negative means the platform is faster: it skips the CLI's connectivity check and session-title request).`,
    '',
    `Time to first token through the warm pool: ${ms(lat[2].ttft50)} at p50 when the caller's live process answers (${(lat[2].ttft50 / plain.ttft50).toFixed(2)} × the plain cold query(); target ≤ 0.25 ×), ${ms(lat[3].ttft50)} when a new caller claims a parked spare (${(lat[3].ttft50 / plain.ttft50).toFixed(2)} ×). A claimed spare still does per-session start-up work in the CLI (the SDK's prewarm() keeps the process, tools and configuration loaded; the folder, session and first request happen at claim); a live process has done all of it before.`,
    '',
    '## Throughput (review calls)',
    '',
    '| path | concurrency | calls/s | wall time | errors | typed 503 refusals |',
    '|---|---|---|---|---|---|',
    ...thr.map((t) => `| ${t.label} | ${t.concurrency} | ${t.perSecond.toFixed(2)} | ${t.seconds.toFixed(1)} s | ${t.errors} | ${t.refused503} |`),
    '',
    `At concurrency ${Math.max(...LEVELS)} the platform with the warm pool ran ${(at16('platform, warm pool').perSecond / at16('plain SDK query()').perSecond).toFixed(2)} × the plain SDK's throughput (target ≥ 5 ×), and without the pool ${(at16('platform, no pool').perSecond / at16('plain SDK query()').perSecond).toFixed(2)} ×. Without the pool the gain is admission control: the platform runs ${'`admission.maxConcurrent`'} (derived: 2 per CPU) at once and queues the rest, while the plain script starts every process at once and the CPUs thrash. With the pool each call still costs one process start, now in the background, and the refills (up to ${'`pool.maxProcesses`'}) compete for the same 2 cores outside the admission cap: the pool buys latency under light load, not throughput at saturation.`,
    '',
    '## Cache hits through the full stack',
    '',
    'autocannon, 16 connections, 5 s each. The platform path includes request id, request log, metrics, helmet, JSON parsing, authentication, the per-key rate limit, validation and the cache look-up.',
    '',
    '| target | requests/s | p50 | p99 | non-2xx |',
    '|---|---|---|---|---|',
    `| platform, cache hit (POST /v1/plugins/code-review/review) | ${hit.rps.toFixed(0)} | ${hit.p50} ms | ${hit.p99} ms | ${hit.non2xx} |`,
    `| bare express 5 (POST /hello) | ${hello.rps.toFixed(0)} | ${hello.p50} ms | ${hello.p99} ms | ${hello.non2xx} |`,
    `| platform, GET /health/live (request id, log, metrics, helmet; no auth) | ${live.rps.toFixed(0)} | ${live.p50} ms | ${live.p99} ms | ${live.non2xx} |`,
    `| platform, GET /v1/plugins (+ authentication and the per-key rate limit) | ${authed.rps.toFixed(0)} | ${authed.p50} ms | ${authed.p99} ms | ${authed.non2xx} |`,
    '',
    `Measured cause of the gap: the platform's common middleware costs ${(100 - (live.rps / hello.rps) * 100).toFixed(0)} % against bare express (the liveness row); authentication (a SHA-256 per request) and the rate limiter take the rate to ${((authed.rps / hello.rps) * 100).toFixed(0)} %; JSON parsing, input validation, the cache key and the cached body's serialisation take it to ${((hit.rps / hello.rps) * 100).toFixed(0)} %.`,
    '',
    `Cache hits reach ${((hit.rps / hello.rps) * 100).toFixed(0)} % of bare express's requests per second (target: 50 %, p99 under 5 ms).`,
    '',
    '## Memory',
    '',
    '| what | RSS |',
    '|---|---|',
    `| platform process (this benchmark's process: simulator and runtime together) | ${(idleRss / 2 ** 20).toFixed(0)} MiB |`,
    `| one running \`claude\` process | ${childRss.map((r) => `${(r / 2 ** 20).toFixed(0)} MiB`).join(', ') || 'not measured'} |`,
    '',
    '## Not measured yet',
    '',
    '- Under sustained load the pool cannot beat the cost of starting processes: every spare serves one call and is then replaced, so each call still pays for one `claude` start, only off the request path. On 2 cores that bounds throughput; reusing a process for several calls of the same plugin and caller (with a test that a later call carries nothing of an earlier one) is the next step.',
    `- Throughput levels stop at ${Math.max(...LEVELS)} and ${CALLS} calls each (the issue asks for 64 and 200) to keep a run to a few minutes of both cores; raise BENCH_CALLS and BENCH_LEVELS to run them.`,
    '',
  ];
  writeFileSync(join(root, 'docs/benchmarks.md'), lines.join('\n'));
  log('wrote docs/benchmarks.md');
}

main().catch((err) => {
  log(`bench failed: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
