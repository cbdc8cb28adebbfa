// One platform call over Server-Sent Events, as a client times it, and what the bench
// waits on between rounds.
'use strict';
const { join } = require('node:path');
const { sleep } = require('./stats');

const root = join(__dirname, '../..');
/** A call still open after this long is given up (counted as an error), so a hung call cannot hang the bench. */
const CALL_TIMEOUT_MS = Number(process.env.BENCH_CALL_TIMEOUT_MS ?? 600_000);
const { postJson, readEventStream } = require(join(root, 'core/testing/dist'));

/**
 * POSTs `body` to `path` asking for SSE; times the first `text` event (else the result:
 * `ttftFrom` says which) and the whole call. outcome: answered | refused (429/503 before the
 * stream opened) | error (any other status, an `error` event, a broken connection).
 */
async function sseCall(url, path, body, headers) {
  const started = performance.now();
  let ttft;
  try {
    const res = await postJson(`${url}${path}`, body, { headers: { ...headers, accept: 'text/event-stream', 'cache-control': 'no-cache' }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
    if (res.status !== 200) {
      const problem = await res.json().catch(() => ({}));
      return { outcome: res.status === 503 || res.status === 429 ? 'refused' : 'error', status: res.status, code: problem.code, total: performance.now() - started };
    }
    const events = await readEventStream(res, (e) => {
      if (ttft === undefined && e.event === 'text') ttft = performance.now() - started;
    });
    const total = performance.now() - started;
    const last = events.at(-1);
    if (last?.event !== 'result') return { outcome: 'error', status: 200, code: last?.data?.code ?? 'no result event', total };
    return { outcome: 'answered', status: 200, ttft: ttft ?? total, ttftFrom: ttft === undefined ? 'result' : 'text', total, usage: last.data.usage };
  } catch (err) {
    return { outcome: 'error', status: 0, code: String(err?.cause?.code ?? err?.name ?? err?.message ?? err), total: performance.now() - started };
  }
}

/** Reads one gauge's values by label from the server's /metrics (Prometheus text). */
async function gauge(url, name) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = {};
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) values[m[1]] = Number(m[2]);
  return values;
}

/**
 * Waits until no pool process is starting or busy (the warm-up left what it will leave),
 * at most `timeoutMs`; returns the pool's processes by state (empty when there is no pool).
 */
async function poolAtRest(url, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let states = {};
  for (;;) {
    states = Object.fromEntries(Object.entries(await gauge(url, 'ccp_pool_processes').catch(() => ({}))).map(([k, v]) => [/state="([^"]+)"/.exec(k)?.[1] ?? k, v]));
    if (!((states.warming ?? 0) > 0 || (states.busy ?? 0) > 0) || Date.now() > deadline) break;
    await sleep(250);
  }
  await sleep(500); // let the last processes finish their /clear
  return states;
}

/** Runs `count` calls of `run` all at once; resolves to their results and the wall time. */
async function burst(count, run) {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  return { results, seconds: (performance.now() - started) / 1000 };
}

module.exports = { sseCall, poolAtRest, burst, gauge };
