import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

/** A running test MCP server over Streamable HTTP. */
export interface McpHttpServer {
  /** Its endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  /** The Authorization header of every request it received, in order. */
  readonly authorizations: readonly (string | undefined)[];
  close(): Promise<void>;
}

/**
 * A tiny MCP server over Streamable HTTP (stateless: a server per request), written with the
 * official SDK, for tests of plugins' HTTP MCP servers: `search_wiki` answers from a fixed
 * page, `edit_wiki` is a tool an operator would not allow. A request without
 * `Authorization: Bearer <token>` is answered 401.
 */
export async function startMcpHttpServer(token: string): Promise<McpHttpServer> {
  const authorizations: (string | undefined)[] = [];
  const serve = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const server = new McpServer({ name: 'ccp-test-wiki', version: '1.0.0' });
    server.registerTool('search_wiki', { description: 'Searches the team wiki.', inputSchema: { query: z.string() } }, async ({ query }) => ({
      content: [{ type: 'text', text: `WIKI-7: "${query}" is covered on the page "Deploy trains".` }],
    }));
    server.registerTool('edit_wiki', { description: 'Edits a wiki page.', inputSchema: { page: z.string() } }, async () => ({ content: [{ type: 'text', text: 'edited' }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => void transport.close().then(() => server.close()));
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };
  const http = createServer((req, res) => void serve(req, res).catch(() => res.destroy()));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
