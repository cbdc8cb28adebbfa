#!/usr/bin/env node
// A plain Agent SDK script, as a team would write one without the platform: every review is
// its own query() (a cold `claude` per call), all of a round at once. Same tools, output
// schema, system prompt and prompt as the code-review plugin; the SDK's defaults otherwise.
// Run by the real-latency section of scripts/bench.js in its own process, so its process
// tree (this script and its `claude` children) is measured alone.
//
//   BENCH_PLAIN='{"simUrl":"http://127.0.0.1:1234","concurrency":16,"rounds":2,"review":{...}}'
//
// Prints one JSON line per event: round-start, round-end (with each call's result), done.
'use strict';
const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const { z } = require('zod');

const root = join(__dirname, '../..');
const { codeReviewPlugin, renderReviewPrompt } = require(join(root, 'plugins/code-review/dist'));
const { simUrl, concurrency, rounds, review, timeoutMs = 600_000 } = JSON.parse(process.env.BENCH_PLAIN);

const operation = codeReviewPlugin.operations.review;
const outputSchema = z.toJSONSchema(operation.output, { target: 'draft-2020-12', io: 'output' });
delete outputSchema.$schema;
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function review1(sdk) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-plain-'));
  const { prompt, files } = renderReviewPrompt(review);
  for (const f of files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
  }
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const started = performance.now();
  let ttft;
  let outcome = 'error';
  let code;
  try {
    for await (const m of sdk.query({
      prompt,
      options: {
        cwd: dir,
        abortController: abort,
        systemPrompt: codeReviewPlugin.systemPrompt,
        tools: [...codeReviewPlugin.tools.allow],
        permissionMode: codeReviewPlugin.tools.mode,
        maxTurns: codeReviewPlugin.maxTurns,
        settingSources: [],
        includePartialMessages: true,
        outputFormat: { type: 'json_schema', schema: outputSchema },
        env: { PATH: process.env.PATH, HOME: dir, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: simUrl },
      },
    })) {
      if (ttft === undefined && m.type === 'stream_event' && m.event?.type === 'content_block_delta' && m.event.delta?.type === 'text_delta') ttft = performance.now() - started;
      if (m.type === 'result') {
        outcome = m.subtype === 'success' && !m.is_error && m.structured_output !== undefined ? 'answered' : 'error';
        code = m.subtype;
      }
    }
  } catch (err) {
    outcome = 'error';
    code = String(err?.message ?? err).slice(0, 120);
  } finally {
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
  const total = performance.now() - started;
  return { outcome, code, ttft: ttft ?? total, total };
}

(async () => {
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  for (let round = 1; round <= rounds; round++) {
    say({ event: 'round-start', round });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: concurrency }, () => review1(sdk)));
    say({ event: 'round-end', round, seconds: (performance.now() - started) / 1000, results });
  }
  say({ event: 'done' });
})().catch((err) => {
  process.stderr.write(`plain-agent failed: ${err?.stack ?? err}\n`);
  process.exit(1);
});
