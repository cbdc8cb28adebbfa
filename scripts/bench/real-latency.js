// The real-latency section of scripts/bench.js: review calls against a simulator that
// answers like a real model (the `realistic` profile unless SIM_* says otherwise), through
// the platform with its shipped config and through a plain Agent SDK script, beside the
// model-bound ideal. Each level runs on a fresh server: round 1 is the caller's first calls,
// later rounds the same caller's calls after that warm-up.
//
//   BENCH_REAL_LEVELS   concurrent review calls per level (default 16,32,64)
//   BENCH_REAL_ROUNDS   rounds per level (default 2)
//   BENCH_REAL_PLAIN    0 leaves out the plain-script rows (default 1)
//   BENCH_REAL_TARGET_LEVELS  the two levels the targets are checked at (default 32,64;
//                       a scaled-down run can name its own to exercise the checks)
//   SIM_PROFILE, SIM_FIRST_BYTE_MS, SIM_EVENT_MS, SIM_JITTER, SIM_SEED, SIM_TOOL_TURNS
//                       the simulator's latency profile (default: realistic)
'use strict';
const { spawn } = require('node:child_process');
const { cpus } = require('node:os');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { createInterface } = require('node:readline');
const { burst, poolAtRest, sseCall } = require('./calls');
const { startPlatform } = require('./server');
const { lineChart } = require('./svg');
const { log, mib, ms, numbers, pct } = require('./stats');
const { sampleTree } = require('./tree');

const root = join(__dirname, '../..');
const { profileFromEnv } = require(join(root, 'core/testing/dist'));

const LEVELS = numbers(process.env.BENCH_REAL_LEVELS, [16, 32, 64]);
const ROUNDS = Number(process.env.BENCH_REAL_ROUNDS ?? 2);
const WITH_PLAIN = process.env.BENCH_REAL_PLAIN !== '0';
const [MID, TOP] = numbers(process.env.BENCH_REAL_TARGET_LEVELS, [32, 64]);
const KEY = 'ccp_bench_real_key_00000000000000000000';
const CODE = 'export function sum(xs: number[]) {\n  let t = 0;\n  for (let i = 0; i <= xs.length; i++) t += xs[i];\n  return t;\n}\n';

/** A review no other call sends (the shipped config caches answers of read-only plugins). */
const reviewOf = (tag) => ({ files: [{ path: 'src/sum.ts', content: `// ${tag}\n${CODE}` }, { path: 'src/util.ts', content: `export const id = <T>(x: T) => x; // ${tag}\n` }] });

/** The simulator's record of one round: the model's time per review, and the input tokens. */
function modelShare(records, answered) {
  const review = records.filter((r) => r.tools.includes('StructuredOutput'));
  return {
    modelMsPerReview: answered ? review.reduce((s, r) => s + (r.modelMs ?? 0), 0) / answered : NaN,
    apiRequests: records.length,
  };
}

function summarise(who, level, round, results, seconds, tree, records) {
  const answered = results.filter((r) => r.outcome === 'answered');
  const count = (o) => results.filter((r) => r.outcome === o).length;
  const codes = {};
  for (const r of results.filter((x) => x.outcome !== 'answered')) codes[`${r.outcome} ${r.code ?? r.status}`] = (codes[`${r.outcome} ${r.code ?? r.status}`] ?? 0) + 1;
  const row = {
    who, level, round, answered: answered.length, refused: count('refused'), errors: count('error'), codes, seconds,
    perMinute: (answered.length * 60) / seconds,
    p50: pct(answered.map((r) => r.total), 50), p95: pct(answered.map((r) => r.total), 95),
    ...tree, claudeMedian: pct(tree.claudeRss, 50), ...modelShare(records, answered.length),
  };
  log(`${who} c=${level} round ${round}: ${row.answered} answered, ${row.refused} refused, ${row.errors} errors, ${row.perMinute.toFixed(1)}/min, p95 ${ms(row.p95)}, peak ${mib(row.peakRss)} (${row.claudeAtPeak.length} claude, others: ${row.othersAtPeak.map((o) => `${o.name} ${mib(o.rss)}`).join(', ')}), ${row.cpuSeconds.toFixed(1)} CPU s`);
  return row;
}

async function platformLevel(sim, hashKey, level) {
  const server = await startPlatform({ simUrl: sim.url, key: KEY, hashKey });
  const tree = sampleTree(server.pid);
  const rows = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      if (round > 1) await poolAtRest(server.url);
      const from = tree.mark();
      const seen = sim.requests.length;
      const { results, seconds } = await burst(level, (i) => sseCall(server.url, '/v1/plugins/code-review/review', reviewOf(`platform ${level} ${round} ${i}`), server.headers));
      const to = tree.mark();
      rows.push(summarise('platform', level, round, results, seconds, tree.between(from, to), sim.messageRequests().filter((r) => r.seq > seen)));
    }
  } finally {
    tree.stop();
    await server.stop();
  }
  return rows;
}

/** scripts/bench/plain-agent.js in its own process; its tree is marked as it reports each round. */
function plainLevel(sim, level) {
  const child = spawn(process.execPath, [join(__dirname, 'plain-agent.js')], {
    env: { PATH: process.env.PATH, BENCH_PLAIN: JSON.stringify({ simUrl: sim.url, concurrency: level, rounds: ROUNDS, review: reviewOf(`plain ${level}`) }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const tree = sampleTree(child.pid);
  const rows = [];
  let from;
  let seen = 0;
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line);
      if (e.event === 'round-start') {
        from = tree.mark();
        seen = sim.requests.length;
      } else if (e.event === 'round-end') {
        rows.push(summarise('plain', level, e.round, e.results, e.seconds, tree.between(from, tree.mark()), sim.messageRequests().filter((r) => r.seq > seen)));
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      tree.stop();
      // A script that died keeps the rounds it finished; the rest of the bench still runs.
      if (code !== 0) log(`plain-agent.js at ${level} exited with ${code} after ${rows.length} of ${ROUNDS} rounds`);
      resolve(rows);
    });
  });
}

const verdict = (ok) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');

function targets(rows, idealMs) {
  const at = (who, level, round) => rows.find((r) => r.who === who && r.level === level && r.round === round);
  const all = (level) => rows.filter((r) => r.who === 'platform' && r.level === level);
  const out = [];
  const mid = all(MID);
  out.push({ name: `default config, ${MID} concurrent realistic reviews: 0 refused, 0 errors`, ok: mid.length ? mid.every((r) => r.refused === 0 && r.errors === 0) : undefined, figures: mid.map((r) => `round ${r.round}: ${r.refused} refused, ${r.errors} errors`).join('; ') });
  const top = all(TOP);
  out.push({ name: `${TOP} concurrent: 0 errors`, ok: top.length ? top.every((r) => r.errors === 0) : undefined, figures: top.map((r) => `round ${r.round}: ${r.errors} errors (${r.refused} refused)`).join('; ') });
  const warm = at('platform', MID, 2);
  const plain = at('plain', MID, 2);
  const ideal = (MID * 60_000) / idealMs;
  // What bounds a warm round when it is not the model: the CPU its claude processes burn per review.
  const cpuCeiling = warm && warm.cpuSeconds > 0 ? (cpus().length * 60 * warm.answered) / warm.cpuSeconds : undefined;
  const why = warm && cpuCeiling ? `; the round used ${warm.cpuSeconds.toFixed(1)} CPU s for ${warm.answered} reviews (${(warm.cpuSeconds / warm.answered).toFixed(2)} each), so ${cpus().length} CPUs serve at most ${cpuCeiling.toFixed(0)}/min: it reached ${((100 * warm.perMinute) / cpuCeiling).toFixed(0)} % of that CPU ceiling` : '';
  out.push({ name: `second round at ${MID}: reviews/min ≥ 0.8 × the model-bound ideal`, ok: warm ? warm.perMinute >= 0.8 * ideal : undefined, figures: warm ? `${warm.perMinute.toFixed(1)}/min vs ideal ${ideal.toFixed(1)}/min (${(warm.perMinute / ideal).toFixed(2)} ×)${warm.perMinute >= 0.8 * ideal ? '' : why}` : '' });
  out.push({ name: `second round at ${MID}: reviews/min ≥ 4 × the plain script (its round 2)`, ok: warm && plain ? warm.perMinute >= 4 * plain.perMinute : undefined, figures: warm && plain ? `${warm.perMinute.toFixed(1)}/min vs plain ${plain.perMinute.toFixed(1)}/min (${(warm.perMinute / plain.perMinute).toFixed(2)} ×)` : '' });
  // "Per-process RSS": the median of every reading of every claude process in the platform's rounds at TOP.
  const peak = top.length ? top.reduce((a, b) => (b.peakRss > a.peakRss ? b : a)) : undefined;
  const perProcess = pct(top.flatMap((r) => r.claudeRss), 50);
  const bound = TOP * perProcess + 300 * 2 ** 20;
  // What the tree held at its peak reading: claude processes (those beyond the calls are the
  // pool's parked spares) and everything else by name (the server, tools a claude ran).
  let beyond = '';
  if (peak && peak.peakRss > bound) {
    const claudes = peak.claudeAtPeak ?? [];
    const claudeSum = claudes.reduce((a, b) => a + b, 0);
    const others = peak.othersAtPeak ?? [];
    const byName = new Map();
    for (const o of others) byName.set(o.name, { n: (byName.get(o.name)?.n ?? 0) + 1, rss: (byName.get(o.name)?.rss ?? 0) + o.rss });
    const spares = Math.max(0, claudes.length - TOP);
    const mean = claudes.length ? claudeSum / claudes.length : 0;
    beyond =
      `; at that reading the tree held ${claudes.length} claude processes (${mib(claudeSum)}, ${mib(mean)} each on average against the median ${mib(perProcess)} of every reading)` +
      `${spares ? `, ${spares} of them beyond the ${TOP} calls (the pool's parked spare${spares > 1 ? 's' : ''}, pool.sparesPerOperation)` : ''}` +
      ` and ${[...byName].map(([name, v]) => `${v.n} × ${name} (${mib(v.rss)})`).join(', ') || 'nothing else'}` +
      `${spares ? `; without the spare${spares > 1 ? 's' : ''} it is ${mib(peak.peakRss - spares * mean)}` : ''}`;
  }
  out.push({ name: `peak tree memory at ${TOP} ≤ ${TOP} × per-process RSS + 300 MB`, ok: peak && Number.isFinite(perProcess) ? peak.peakRss <= bound : undefined, figures: peak ? `peak ${mib(peak.peakRss)} (round ${peak.round}, ${peak.peakProcesses} processes) vs ${TOP} × ${mib(perProcess)} + 300 MB = ${mib(bound)}${beyond}` : '' });
  return out;
}

function charts(rows, idealMs, imagesDir) {
  const levels = [...new Set(rows.map((r) => r.level))];
  const last = Math.max(...rows.map((r) => r.round));
  const series = (pick) => [
    { name: 'platform, round 1 (cold)', points: levels.map((l) => [l, pick(rows.find((r) => r.who === 'platform' && r.level === l && r.round === 1))]) },
    ...(last > 1 ? [{ name: `platform, round ${last} (warm)`, points: levels.map((l) => [l, pick(rows.find((r) => r.who === 'platform' && r.level === l && r.round === last))]) }] : []),
    { name: `plain SDK script, round ${last}`, points: levels.map((l) => [l, pick(rows.find((r) => r.who === 'plain' && r.level === l && r.round === last))]) },
  ];
  const y = (f) => (r) => (r ? f(r) : NaN);
  const files = {
    throughput: lineChart({
      title: 'Reviews per minute against concurrency', xLabel: 'concurrent review calls', yLabel: 'reviews per minute', xs: levels,
      series: [...series(y((r) => Number(r.perMinute.toFixed(1)))), { name: 'model-bound ideal', dashed: true, points: levels.map((l) => [l, Number(((l * 60_000) / idealMs).toFixed(1))]) }],
    }),
    p95: lineChart({
      title: 'p95 latency against concurrency', xLabel: 'concurrent review calls', yLabel: 'p95 latency (seconds)', xs: levels,
      series: [...series(y((r) => Number((r.p95 / 1000).toFixed(2)))), { name: 'model-bound ideal', dashed: true, points: levels.map((l) => [l, Number((idealMs / 1000).toFixed(2))]) }],
    }),
  };
  for (const [name, svg] of Object.entries(files)) writeFileSync(join(imagesDir, `real-latency-${name}.svg`), svg);
  return Object.keys(files).map((n) => `real-latency-${n}.svg`);
}

/**
 * Runs the section on `sim` (shared with the rest of the bench; its profile is set here and
 * cleared after); writes its charts into `imagesDir`. Resolves to { lines, targets }.
 */
async function realLatencySection({ sim, hashKey, imagesDir, imagesHref }) {
  const profile = profileFromEnv(process.env, 'realistic');
  sim.setProfile(profile);
  const rows = [];
  try {
    for (const level of LEVELS) {
      log(`real latency, ${level} concurrent…`);
      rows.push(...(await platformLevel(sim, hashKey, level)));
      if (WITH_PLAIN) rows.push(...(await plainLevel(sim, level)));
    }
  } finally {
    sim.setProfile(undefined);
  }
  // The profile's own time per review, from the record: what the model spent on every API turn of a review.
  const measured = rows.filter((r) => Number.isFinite(r.modelMsPerReview) && r.who === 'platform').map((r) => r.modelMsPerReview);
  const idealMs = pct(measured.length ? measured : rows.map((r) => r.modelMsPerReview).filter(Number.isFinite), 50);
  const files = charts(rows, idealMs, imagesDir);
  const found = targets(rows, idealMs);
  const n = profile.toolTurns?.length ?? 0;
  const turns = n ? `${n === 1 ? 'one' : n} read-tool turn${n > 1 ? 's' : ''} (${profile.toolTurns.join(', ')}) before the structured answer` : 'no tool turns';
  const codes = rows.filter((r) => Object.keys(r.codes).length).map((r) => `${r.who} c=${r.level} round ${r.round}: ${Object.entries(r.codes).map(([k, n]) => `${n} × ${k}`).join(', ')}`);
  const lines = [
    '## Real model latency (review calls)',
    '',
    `The simulator answers like a real model here: profile \`${profile.name}\`, ${profile.firstByteMs} ms to the first byte of every API answer, an event every ${profile.eventIntervalMs} ms${profile.jitter ? ` (± ${Math.round(profile.jitter * 100)} %, seed ${profile.seed ?? 0})` : ''}, ${turns}. A review then spends ${ms(idealMs)} waiting on the model (the simulator's record: first byte plus event gaps over every API turn of a review). The platform runs as its own process with the shipped \`config/default.yaml\` and one CI key (its rate limit and \`maxConcurrent\` high enough); each level starts a fresh server. A round sends all its calls at once; round 1 is the caller's first calls, round ${ROUNDS > 1 ? '2' : '1'}${ROUNDS > 2 ? '+' : ''} the same caller's calls after it. The plain script (\`scripts/bench/plain-agent.js\`) makes the same reviews with \`query()\`: the same tools, output schema, system prompt and prompt, a cold \`claude\` per call, every call of a round at once. Reviews per minute: answered calls × 60 / the round's wall time; p50 and p95 over the answered calls. Memory is the peak of the summed RSS of the process tree (server or script, and every \`claude\` under it; /proc sampled every 200 ms), CPU the tree's user + system seconds over the round (from /proc stat, reaped children included).`,
    '',
    '| path | concurrency | round | answered | refused | errors | reviews/min | model-bound ideal /min | p50 | p95 | peak tree RSS | peak processes | median claude RSS | CPU s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.who === 'platform' ? 'platform (shipped config)' : 'plain SDK script'} | ${r.level} | ${r.round} | ${r.answered} | ${r.refused} | ${r.errors} | ${r.perMinute.toFixed(1)} | ${((r.level * 60_000) / idealMs).toFixed(1)} | ${ms(r.p50)} | ${ms(r.p95)} | ${mib(r.peakRss)} | ${r.peakProcesses} | ${mib(r.claudeMedian)} | ${r.cpuSeconds.toFixed(1)} |`),
    '',
    ...(codes.length ? [`Refusals and errors by code: ${codes.join('; ')}.`, ''] : []),
    `The model-bound ideal runs every review fully in parallel: concurrency × 60 / ${(idealMs / 1000).toFixed(2)} s reviews per minute, each taking ${(idealMs / 1000).toFixed(2)} s.`,
    '',
    ...files.map((f) => `![${f.includes('p95') ? 'p95 latency against concurrency' : 'reviews per minute against concurrency'}](${imagesHref}/${f})`),
    '',
    '| target | result | figures |',
    '|---|---|---|',
    ...found.map((t) => `| ${t.name} | ${verdict(t.ok)} | ${t.figures || '–'} |`),
    '',
  ];
  return { lines, targets: found.map((t) => ({ ...t, verdict: verdict(t.ok) })) };
}

module.exports = { realLatencySection };
