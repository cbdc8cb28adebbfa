import { READ_TOOLS, type LatencyProfile, type ReadTool } from './profile';
import { sampleFromSchema } from './sample-from-schema';
import type { SimBlock } from './types';

/** The file the simulated model writes when it is offered the Write tool. */
export const SIMULATED_FILE = 'simulated.test.ts';
const SIMULATED_CONTENT = "// Written by the Messages API simulator, not by a real model.\ntest('simulated', () => {\n  expect(1 + 1).toBe(2);\n});\n";

interface ToolDef {
  name: string;
  input_schema?: unknown;
}

type Block = { type?: string; name?: string; text?: string; content?: unknown };

function blocksOf(messages: readonly { role?: string; content?: unknown }[], role: string): Block[] {
  return messages.filter((m) => m.role === role && Array.isArray(m.content)).flatMap((m) => m.content as Block[]);
}

/** Names of the tools the assistant already called in this conversation, in order. */
function calledTools(messages: readonly { role?: string; content?: unknown }[]): string[] {
  return blocksOf(messages, 'assistant').filter((b) => b.type === 'tool_use' && typeof b.name === 'string').map((b) => b.name as string);
}

function text(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: Block) => (typeof c === 'string' ? c : (c.text ?? text(c.content)))).join('\n');
  return '';
}

const GREP_PATTERNS = ['TODO', 'export', 'function', 'import'];

/** A file to read: one an earlier tool result listed (absolute), else one the prompt names. */
function fileToRead(messages: readonly { role?: string; content?: unknown }[], random: () => number): string {
  const listed = blocksOf(messages, 'user')
    .filter((b) => b.type === 'tool_result')
    .flatMap((b) => text(b.content).split('\n'))
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/'));
  if (listed.length) return listed[Math.floor(random() * listed.length)] as string;
  const named = text(messages.find((m) => m.role === 'user')?.content).match(/[\w.-]+(?:\/[\w.-]+)*\.\w{1,5}/g) ?? ['README.md'];
  return named[Math.floor(random() * named.length)] as string;
}

/** The text and tool call of one read-tool turn, or none when no read tool is offered. */
function readTurn(turn: ReadTool | 'any', offered: readonly string[], messages: readonly { role?: string; content?: unknown }[], random: () => number): SimBlock[] {
  const readable = READ_TOOLS.filter((t) => offered.includes(t));
  if (!readable.length) return [];
  const pick = random(); // drawn even when the turn names its tool, so a seed always moves the same way
  const tool: ReadTool = turn !== 'any' && readable.includes(turn) ? turn : (readable[Math.floor(pick * readable.length)] as ReadTool);
  const input =
    tool === 'Glob' ? { pattern: '**/*' } : tool === 'Grep' ? { pattern: GREP_PATTERNS[Math.floor(random() * GREP_PATTERNS.length)] } : { file_path: fileToRead(messages, random) };
  return [
    { type: 'text', text: 'Let me look at the files in the working directory first.' },
    { type: 'tool_use', name: tool, input },
  ];
}

/**
 * The default simulated model. When the CLI offers the `StructuredOutput` tool (an
 * `outputFormat` query) it says a sentence and calls that tool with an object valid for
 * the schema it received; otherwise it answers with a short text. Under a profile with
 * `toolTurns` it first calls the offered read tools, one turn each; `random` draws what
 * the turns leave open (the seeded generator of this request).
 */
export function autoReply(body: Record<string, unknown>, profile?: LatencyProfile, random: () => number = Math.random): SimBlock[] {
  const tools = (body.tools as ToolDef[] | undefined) ?? [];
  const offered = tools.map((t) => t.name);
  const structured = tools.find((t) => t.name === 'StructuredOutput');
  const messages = (body.messages as { role?: string; content: unknown }[] | undefined) ?? [];
  const called = calledTools(messages);
  const turns = profile?.toolTurns ?? [];
  const readsDone = called.filter((n) => (READ_TOOLS as readonly string[]).includes(n)).length;
  if (readsDone < turns.length) {
    const blocks = readTurn(turns[readsDone] as ReadTool | 'any', offered, messages, random);
    if (blocks.length) return blocks;
  }
  if (structured && !called.includes('Write') && offered.includes('Write')) {
    // A plugin that may write: write one file first, as a test-writing model would.
    return [
      { type: 'text', text: 'I will write the test file first.' },
      { type: 'tool_use', name: 'Write', input: { file_path: SIMULATED_FILE, content: SIMULATED_CONTENT } },
    ];
  }
  if (structured) {
    return [
      { type: 'text', text: 'I have read the submitted files and am returning the structured answer now.' },
      { type: 'tool_use', name: 'StructuredOutput', input: sampleFromSchema(structured.input_schema, 'answer') },
    ];
  }
  return [{ type: 'text', text: 'This is the Messages API simulator answering. No real model was called.' }];
}
