import { z } from 'zod';

/**
 * What the scripted model sees of a Messages-API request: the raw body kept
 * for assertions, plus the few views matchers need (prompt text, system text,
 * offered tools, the last tool result, the turn index in the conversation).
 */

const textBlock = z.object({ type: z.literal('text'), text: z.string() }).loose();
const toolUseBlock = z
  .object({ type: z.literal('tool_use'), id: z.string(), name: z.string(), input: z.unknown() })
  .loose();
const toolResultBlock = z
  .object({
    type: z.literal('tool_result'),
    tool_use_id: z.string(),
    content: z.union([z.string(), z.array(z.object({ type: z.string() }).loose())]).optional(),
    is_error: z.boolean().optional(),
  })
  .loose();
const otherBlock = z.object({ type: z.string() }).loose();
const contentBlock = z.union([textBlock, toolUseBlock, toolResultBlock, otherBlock]);

export const messagesBodySchema = z
  .object({
    model: z.string(),
    max_tokens: z.number().optional(),
    stream: z.boolean().optional(),
    system: z.union([z.string(), z.array(otherBlock)]).optional(),
    messages: z.array(
      z
        .object({
          role: z.enum(['user', 'assistant']),
          content: z.union([z.string(), z.array(contentBlock)]),
        })
        .loose(),
    ),
    tools: z.array(z.object({ name: z.string() }).loose()).optional(),
  })
  .loose();

export type MessagesBody = z.infer<typeof messagesBodySchema>;

export interface ToolResultView {
  toolUseId: string;
  /** The tool's output flattened to text. */
  content: string;
  isError: boolean;
}

export interface ModelRequest {
  body: MessagesBody;
  /** Claude Code's `x-claude-code-session-id` header, when sent. */
  sessionId?: string;
  /** 0 for the first call of a conversation: the number of assistant turns already in it. */
  turnIndex: number;
  /** The system prompt flattened to text. */
  system: string;
  /** Every text a user turn carries (not tool results), joined: the prompt and what followed it. */
  promptText: string;
  /** Names of the tools offered in this request. */
  toolNames: string[];
  /** The tool results of the latest user turn, if it answers a tool call. */
  toolResults: ToolResultView[];
  lastToolResult?: ToolResultView;
}

export function viewRequest(body: MessagesBody, sessionId?: string): ModelRequest {
  const lastUser = [...body.messages].reverse().find((message) => message.role === 'user');
  const toolResults = lastUser ? blocksOf(lastUser.content).flatMap(toToolResult) : [];
  return {
    body,
    sessionId,
    turnIndex: body.messages.filter((message) => message.role === 'assistant').length,
    system: flattenText(body.system),
    promptText: body.messages
      .filter((message) => message.role === 'user')
      .map((message) => flattenText(message.content))
      .join('\n'),
    toolNames: (body.tools ?? []).map((tool) => tool.name),
    toolResults,
    lastToolResult: toolResults.at(-1),
  };
}

type Block = z.infer<typeof contentBlock>;

function blocksOf(content: string | Block[]): Block[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}

function flattenText(content: string | Array<{ type: string }> | undefined): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((block) => {
      const parsed = textBlock.safeParse(block);
      return parsed.success ? parsed.data.text : '';
    })
    .filter((text) => text !== '')
    .join('\n');
}

function toToolResult(block: Block): ToolResultView[] {
  const parsed = toolResultBlock.safeParse(block);
  if (!parsed.success) return [];
  const { content } = parsed.data;
  return [
    {
      toolUseId: parsed.data.tool_use_id,
      content: typeof content === 'string' ? content : flattenText(content),
      isError: parsed.data.is_error ?? false,
    },
  ];
}
