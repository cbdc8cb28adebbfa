import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditFileLines, startServerProcess, startSimulator, testKey, waitUntil, type ServerProcess, type Simulator } from '@ccp/testing';
import { stringify } from 'yaml';

// The real `claude` CLI as the MCP client, as a user's agent would use the platform: an Agent
// SDK query outside the platform, with the platform's /mcp as an HTTP MCP server. Two
// simulators: `outer` is the user's model (scripted to call the platform's tool), `inner` the
// model behind the platform's own claude process.


describe('MCP: Claude Code calls a platform tool', () => {
  let outer: Simulator;
  let inner: Simulator;
  let server: ServerProcess;
  let dir: string;
  let auditFile: string;
  const key = testKey('agent-user');

  beforeAll(async () => {
    [outer, inner] = await Promise.all([startSimulator(), startSimulator()]);
    dir = mkdtempSync(join(tmpdir(), 'ccp-mcp-cli-'));
    auditFile = join(dir, 'audit.log');
    writeFileSync(join(dir, 'config.yaml'), stringify({ auth: { keys: [key.entry] }, audit: { file: auditFile }, claude: { workspaceRoot: join(dir, 'workspaces'), maxRetries: 0 }, cache: { enabled: false }, pool: { enabled: false } }));
    server = await startServerProcess({ HOME: dir, LOG_LEVEL: 'info', CCP_CONFIG: join(dir, 'config.yaml'), ANTHROPIC_API_KEY: 'sk-ant-inner', ANTHROPIC_BASE_URL: inner.url });
    expect(server.url || server.output()).toMatch(/^http/);
  });
  afterAll(async () => {
    await server?.stop();
    await Promise.all([outer?.close(), inner?.close()]);
  });

  it('offers mcp__ccp__code-review__review to the model, runs it with transport mcp, and returns its result to the model', async () => {
    const tool = 'mcp__ccp__code-review__review';
    outer.enqueue({ blocks: [{ type: 'text', text: 'I will ask the platform for a review.' }, { type: 'tool_use', name: tool, input: { files: [{ path: 'a.ts', content: 'export const a = 1;\n' }] } }] });
    outer.setFallback({ blocks: [{ type: 'text', text: 'The platform reviewed it.' }] });
    const { query } = await import('@anthropic-ai/claude-agent-sdk');
    const abort = new AbortController();
    const home = mkdtempSync(join(dir, 'user-'));
    const messages = [];
    try {
      for await (const message of query({
        prompt: 'Review a.ts with the platform.',
        options: {
          cwd: home,
          // An allowlist, as any host should give its child (never the whole environment).
          env: { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), ANTHROPIC_API_KEY: 'sk-ant-outer', ANTHROPIC_BASE_URL: outer.url, CLAUDE_CODE_MAX_RETRIES: '0', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' },
          mcpServers: { ccp: { type: 'http', url: `${server.url}/mcp`, headers: { authorization: `Bearer ${key.key}` }, alwaysLoad: true } },
          tools: [],
          allowedTools: [tool],
          permissionMode: 'dontAsk',
          settingSources: [],
          strictMcpConfig: true,
          persistSession: false,
          abortController: abort,
        },
      })) {
        messages.push(message);
      }
    } finally {
      abort.abort();
    }
    expect(messages.at(-1)).toMatchObject({ type: 'result', subtype: 'success' });
    // The model was offered the platform's tools under Claude Code's MCP names.
    const offered = outer.messageRequests().find((r) => r.tools.includes(tool));
    expect(offered).toBeDefined();
    // The platform ran the call as an MCP call of the key, through the pipeline.
    expect(await waitUntil(() => auditFileLines(auditFile).length > 0, 5_000)).toBe(true);
    expect(auditFileLines(auditFile)).toEqual([expect.objectContaining({ key: 'agent-user', plugin: 'code-review', operation: 'review', transport: 'mcp', outcome: 'success' })]);
    expect(inner.messageRequests().length).toBeGreaterThan(0);
    // The tool's result (the review: filesReviewed names the file) reached the model's next request.
    const after = outer.messageRequests().at(-1);
    const results = JSON.stringify(after?.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b: { type?: string }) => b.type === 'tool_result'));
    expect(results).toContain('filesReviewed');
    expect(results).toContain('a.ts');
  });

  it("works as the README says: `claude mcp add --transport http` connects, and `claude -p` calls the platform's tool", async () => {
    // The claude binary the Agent SDK installed for this platform (the one the platform runs).
    const claude = require.resolve(`@anthropic-ai/claude-agent-sdk-${process.platform}-${process.arch}/claude`);
    const home = mkdtempSync(join(dir, 'readme-'));
    // A user's shell: no platform secret but the key they were given, in CCP_KEY.
    const env = { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: join(home, '.claude'), CCP_KEY: key.key, ANTHROPIC_API_KEY: 'sk-ant-outer', ANTHROPIC_BASE_URL: outer.url, CLAUDE_CODE_MAX_RETRIES: '0', DISABLE_TELEMETRY: '1', DISABLE_AUTOUPDATER: '1', CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' };
    const run = (args: string[]) => new Promise<string>((resolve, reject) => execFile(claude, args, { env, cwd: home, encoding: 'utf8', timeout: 60_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${out}${errOut}`)) : resolve(out + errOut))));
    await run(['mcp', 'add', '--transport', 'http', 'ccp', `${server.url}/mcp`, '--header', `Authorization: Bearer ${key.key}`]);
    expect(await run(['mcp', 'list'])).toMatch(/ccp: .*\/mcp \(HTTP\) - ✔ Connected/);
    const before = auditFileLines(auditFile).length;
    outer.reset();
    outer.enqueue({ blocks: [{ type: 'tool_use', name: 'mcp__ccp__code-review__review', input: { files: [{ path: 'b.ts', content: 'export const b = 2;\n' }] } }] });
    outer.setFallback({ blocks: [{ type: 'text', text: 'Reviewed by the platform.' }] });
    expect(await run(['-p', 'Review b.ts with the ccp tool.', '--allowedTools', 'mcp__ccp__code-review__review'])).toContain('Reviewed by the platform.');
    expect(await waitUntil(() => auditFileLines(auditFile).length > before, 5_000)).toBe(true);
    expect(auditFileLines(auditFile).slice(before)).toEqual([expect.objectContaining({ key: 'agent-user', plugin: 'code-review', transport: 'mcp', outcome: 'success' })]);
  });
});
