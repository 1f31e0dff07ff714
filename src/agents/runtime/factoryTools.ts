import {
  createSdkMcpServer,
  tool,
  type McpSdkServerConfigWithInstance,
} from '@anthropic-ai/claude-agent-sdk';
import { factoryServerName, factoryToolPrefix } from './toolPolicy.js';
import type { FactoryTool } from './types.js';

/**
 * Factory's own tools (submit a plan, post a comment, …) offered to the agent
 * through the SDK's in-process MCP server. The engine is started with
 * ENABLE_TOOL_SEARCH=false so they are listed to the model directly instead
 * of hidden behind a tool-search step.
 */
export function factoryToolServer(tools: FactoryTool[]): McpSdkServerConfigWithInstance {
  return createSdkMcpServer({
    name: factoryServerName,
    version: '1.0.0',
    tools: tools.map((factoryTool) =>
      tool(factoryTool.name, factoryTool.description, factoryTool.input, async (args) => {
        try {
          const text = await factoryTool.handler(args as Parameters<FactoryTool['handler']>[0]);
          return { content: [{ type: 'text' as const, text }] };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return { content: [{ type: 'text' as const, text: `Error: ${message}` }], isError: true };
        }
      }),
    ),
  });
}

/** The name the model calls a Factory tool by. */
export function factoryToolName(name: string): string {
  return `${factoryToolPrefix}${name}`;
}
