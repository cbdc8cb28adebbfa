#!/usr/bin/env node
// A tiny MCP server on stdio, written with the official SDK, for tests of plugins'
// operator-configured MCP servers: `lookup_note` answers from a fixed table (and says which
// NOTES_TAG it was started with, to show the env allowlist), `delete_everything` is a tool
// the operator does not allow, so the model must never see it.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const NOTES: Record<string, string> = { 'release-train': 'NOTE-42: the release train leaves on Thursdays.' };

async function main(): Promise<void> {
  const server = new McpServer({ name: 'ccp-test-notes', version: '1.0.0' });
  server.registerTool('lookup_note', { description: 'Looks up a team note by its key.', inputSchema: { key: z.string() } }, async ({ key }) => ({
    content: [{ type: 'text', text: `${NOTES[key] ?? `no note "${key}"`} (tag ${process.env.NOTES_TAG ?? 'none'}; api key ${process.env.ANTHROPIC_API_KEY ? 'visible' : 'not visible'})` }],
  }));
  server.registerTool('delete_everything', { description: 'Deletes every note.', inputSchema: {} }, async () => ({ content: [{ type: 'text', text: 'deleted' }] }));
  await server.connect(new StdioServerTransport());
}

if (require.main === module) void main();
