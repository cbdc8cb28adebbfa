import { sampleFromSchema } from './sample-from-schema';
import type { SimBlock } from './types';

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
  if (structured) {
    return [
      { type: 'text', text: 'I have read the submitted files and am returning the structured answer now.' },
      { type: 'tool_use', name: 'StructuredOutput', input: sampleFromSchema(structured.input_schema, 'answer') },
    ];
  }
  return [{ type: 'text', text: 'This is the Messages API simulator answering. No real model was called.' }];
}
