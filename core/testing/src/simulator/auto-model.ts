import { sampleFromSchema } from './sample-from-schema';
import type { SimBlock } from './types';

/** The file the simulated model writes when it is offered the Write tool. */
export const SIMULATED_FILE = 'simulated.test.ts';
const SIMULATED_CONTENT = "// Written by the Messages API simulator, not by a real model.\ntest('simulated', () => {\n  expect(1 + 1).toBe(2);\n});\n";

interface ToolDef {
  name: string;
  input_schema?: unknown;
}

/**
 * The default simulated model. When the CLI offers the `StructuredOutput` tool (an
 * `outputFormat` query) it says a sentence and calls that tool with an object valid for
 * the schema it received; otherwise it answers with a short text.
 */
export function autoReply(body: Record<string, unknown>): SimBlock[] {
  const tools = (body.tools as ToolDef[] | undefined) ?? [];
  const structured = tools.find((t) => t.name === 'StructuredOutput');
  const messages = (body.messages as { content: unknown }[] | undefined) ?? [];
  const firstTurn = !JSON.stringify(messages).includes('"tool_result"');
  if (structured && firstTurn && tools.some((t) => t.name === 'Write')) {
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
