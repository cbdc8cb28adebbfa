#!/usr/bin/env node
// One connection, one request at a time, for `seconds`: the latency of a request on its
// own, with microsecond resolution (autocannon's histogram counts whole milliseconds).
// Prints {count, p50, p99, max} in milliseconds. Used by scripts/bench.js.
//
//   node scripts/latency-probe.js <url> <method> <body|-> <headers-json> <seconds>
'use strict';
const http = require('node:http');

const [url, method, body, headersJson, seconds] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const headers = JSON.parse(headersJson);
const payload = body === '-' ? undefined : body;

function once() {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request(url, { method, headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.statusCode }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

(async () => {
  const until = Date.now() + Number(seconds) * 1000;
  const times = [];
  let failures = 0;
  while (Date.now() < until) {
    const { ms, status } = await once();
    if (status >= 300) failures++;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
  process.stdout.write(JSON.stringify({ count: times.length, failures, p50: at(50), p99: at(99), max: times.at(-1) }));
  agent.destroy();
})().catch((err) => {
  process.stderr.write(String(err));
  process.exit(1);
});
