import { join } from 'node:path';

/** The built test MCP server (`mcp-stdio-server.ts`), for a config's `command: node, args: [MCP_STDIO_SERVER]`; `npm run build` makes it. */
export const MCP_STDIO_SERVER = join(__dirname, '../dist/mcp-stdio-server.js');
