#!/usr/bin/env node
// `node stdio-env-guard.js <NAME,NAME,…> <command> [args…]`: runs an operator's stdio MCP server
// with only the named variables of its environment. The `claude` CLI starts stdio MCP servers
// with its own environment merged in, and that holds the platform's Anthropic credential; the
// server must not see it. stdin and stdout (the MCP channel) and stderr pass through; signals
// are forwarded and the server's exit is the guard's.
import { spawn } from 'node:child_process';

const [names = '', command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: stdio-env-guard <NAME,NAME,…> <command> [args…]\n');
  process.exit(2);
}
const env: Record<string, string> = {};
for (const name of names.split(',').filter(Boolean)) {
  const value = process.env[name];
  if (value !== undefined) env[name] = value;
}
const child = spawn(command, args, { env, stdio: 'inherit' });
child.on('error', (err) => {
  process.stderr.write(`${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
