'use strict';
const { execFile } = require('node:child_process');
const { join } = require('node:path');
const root = '/work/main';
const { startTestRuntime, postJson } = require(join(root, 'core/testing/dist'));
const { hashKey } = require(join(root, 'core/runtime/dist'));
const review = { files: [{ path: 'src/sum.ts', content: 'export const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);\n' }] };
function cannon(url, headers, method = 'POST', secs = 5) {
  const body = method === 'POST' ? ['-b', JSON.stringify(review)] : [];
  const args = ['-c', '16', '-d', String(secs), '-m', method, ...body, '-j', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]), url];
  return new Promise((resolve, reject) => execFile('taskset', ['-c', '1', process.execPath, require.resolve('autocannon/autocannon.js', { paths: [root] }), ...args], { maxBuffer: 64 * 2 ** 20 }, (err, stdout) => err ? reject(err) : resolve(JSON.parse(stdout))));
}
(async () => {
  const key = 'ccp_bench_key_0000000000000000000000000';
  const rt = await startTestRuntime({ config: { auth: { enabled: true, keys: [{ name: 'bench', sha256: hashKey(key), maxConcurrent: 1000 }] }, rateLimits: { perKey: 10_000_000 }, cache: { enabled: true }, admission: { queueSize: 256 } } });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  console.log((await postJson(`${rt.url}/v1/plugins/code-review/review`, review, { headers })).status);
  const express = require('express');
  const bare = express(); bare.use(express.json()); bare.post('/hello', (_q, r) => r.json({ hello: 'world' }));
  const bs = await new Promise((r) => { const s = bare.listen(0, '127.0.0.1', () => r(s)); });
  if (process.argv[2] === 'ratio') {
    await cannon(`${rt.url}/v1/plugins/code-review/review`, headers, 'POST', 2); await cannon(`http://127.0.0.1:${bs.address().port}/hello`, { 'content-type': 'application/json' }, 'POST', 2);
    for (let i = 0; i < 3; i++) {
      const h = await cannon(`${rt.url}/v1/plugins/code-review/review`, headers, 'POST', 3);
      const b = await cannon(`http://127.0.0.1:${bs.address().port}/hello`, { 'content-type': 'application/json' }, 'POST', 3);
      console.log(`hit ${h.requests.average} p99 ${h.latency.p99} | bare ${b.requests.average} p99 ${b.latency.p99} | ${(h.requests.average / b.requests.average * 100).toFixed(0)} %`);
    }
    await rt.close(); process.exit(0);
  }
  const which = process.argv[2] ?? 'hit';
  const url = which === 'live' ? `${rt.url}/health/live` : which === 'plugins' ? `${rt.url}/v1/plugins` : `${rt.url}/v1/plugins/code-review/review`;
  const r = await cannon(url, which === 'live' ? {} : headers, which === 'hit' ? 'POST' : 'GET', Number(process.argv[3] ?? 5));
  console.log(which, 'rps', r.requests.average, 'p50', r.latency.p50, 'p99', r.latency.p99, 'non2xx', r.non2xx);
  await rt.close();
  process.exit(0);
})();
