#!/usr/bin/env node
// Runs the test suite and ends with one plain line, `tests: N passed, N failed`, computed
// from jest's own JSON results, so a run that executed nothing is visible as such.
// The fast project runs in parallel; the end-to-end and fault projects run in band, because
// their tests spawn the CPU-hungry `claude` CLI and parallel spawns only slow each other.
// Without --selectProjects it runs `unit` and `e2e` (npm test); the fault and abuse suite
// (`faults`) runs only when selected (npm run test:faults), and prints its table at the end.
// `--smoke`: the fast project in full, and of the end-to-end project only SMOKE below.
// The line before the count names the runtime the tests ran on (jest, its workers and the
// server processes the tests start all run on this process's `process.execPath`).
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
// A real server process boots and answers (server), one call of every plugin (catalogue),
// and Server-Sent Events (sse). CI runs this set on the machine's Node, the whole suite on
// the Node the image ships.
const SMOKE = ['test/e2e/server.test.ts', 'test/e2e/catalogue.test.ts', 'test/e2e/sse.test.ts'];
const smoke = process.argv.includes('--smoke');
const extra = process.argv.slice(2).filter((a) => a !== '--smoke');
if (smoke && extra.includes('--selectProjects')) {
  process.stderr.write('--smoke chooses the projects itself: leave out --selectProjects\n');
  process.exit(2);
}
const chosen = extra.includes('--selectProjects') ? [null] : ['unit', 'e2e'];
// The projects named after --selectProjects (it takes one or more names).
const selected = [];
for (let i = extra.indexOf('--selectProjects') + 1; i > 0 && i < extra.length && !extra[i].startsWith('-'); i++) selected.push(extra[i]);
const inBand = (project) => (project ? [project] : selected).some((p) => p === 'e2e' || p === 'faults');
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() };
const jest = require.resolve('jest/bin/jest');
const totals = { passed: 0, failed: 0, skipped: 0, suitesFailed: 0 };
let status = 0;

for (const project of chosen) {
  const out = join(root, `.jest-results${project ? `-${project}` : ''}.json`);
  rmSync(out, { force: true });
  // --forceExit: a test that leaves a handle open must not hang CI after its results are in (the
  // counts are read from jest's own JSON either way).
  const args = [jest, '--forceExit', '--json', `--outputFile=${out}`, ...(project ? ['--selectProjects', project] : []), ...extra];
  if (inBand(project)) args.push('--runInBand');
  if (project === 'e2e' && smoke) args.push('--runTestsByPath', ...SMOKE);
  const run = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (run.status !== 0) status = run.status ?? 1;
  try {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    totals.passed += r.numPassedTests;
    totals.failed += r.numFailedTests;
    totals.skipped += r.numPendingTests + r.numTodoTests;
    totals.suitesFailed += r.numRuntimeErrorTestSuites;
  } catch {
    totals.suitesFailed += 1;
  }
}

if (totals.suitesFailed > 0) process.stdout.write(`test suites that failed to run: ${totals.suitesFailed}\n`);
if (totals.passed + totals.failed === 0) status = status || 1;
process.stdout.write(`runtime: node ${process.version}${smoke ? ' (unit + end-to-end smoke set)' : ''}\n`);
process.stdout.write(`tests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
process.exit(status);
