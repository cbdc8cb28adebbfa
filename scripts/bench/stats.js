// Small number helpers shared by scripts/bench.js and its sections.
'use strict';

/** The p-th percentile (nearest rank) of xs; NaN for none. */
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
const sec = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : 'n/a');
const mib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : 'n/a');
const log = (...a) => process.stderr.write(`${a.join(' ')}\n`);
const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** A comma-separated list of numbers from the environment, or the default. */
const numbers = (raw, fallback) => (raw?.trim() ? raw.split(',').map((x) => Number(x.trim())) : fallback);

module.exports = { pct, ms, sec, mib, log, sleep, numbers };
