// A dual-era MCP server over stdio built on the v2 TypeScript SDK (`serveStdio`: the opening
// exchange picks the era, 2026-07-28 via `server/discover` or 2025 via `initialize`). One tool,
// `echo`, which also reports the protocol version the request's _meta envelope carried.
import { McpServer } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { z } from 'zod';

serveStdio(() => {
  const server = new McpServer({ name: 'era-2026-test', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool('echo', { description: 'Echoes the message', inputSchema: z.object({ message: z.string() }) },
    async ({ message }, ctx) => {
      // 2026-07-28 requests carry their protocol version inline (_meta), the SDK exposes it here.
      const meta = ctx?.mcpReq?.envelope ?? {};
      const version = meta['io.modelcontextprotocol/protocolVersion'] ?? 'none';
      return { content: [{ type: 'text', text: `Echo: ${message} (protocol ${version})` }] };
    });
  return server;
});
