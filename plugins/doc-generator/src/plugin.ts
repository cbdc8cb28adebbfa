import { definePlugin, defineOperation, readPrompt, READ_ONLY_TOOLS, workspaceFiles } from '@ccp/plugin-api';
import { z } from 'zod';

/** `generate` input. */
export const generateInput = z.strictObject({
  files: workspaceFiles({ maxFiles: 40, maxFileBytes: 200 * 1024, maxTotalBytes: 1024 * 1024 }),
  style: z.enum(['tsdoc', 'jsdoc', 'docstring', 'markdown']),
  audience: z.enum(['api-user', 'maintainer']).default('api-user'),
});

/** `generate` output: documented files or Markdown pages, and a summary. */
export const generateOutput = z.strictObject({
  documents: z.array(z.strictObject({ path: z.string().describe('Relative path of the documented file or page'), content: z.string() })),
  summary: z.string(),
});

/** Writes TSDoc, JSDoc, docstrings or Markdown reference pages for submitted code. Read-only. */
export const docGeneratorPlugin = definePlugin({
  id: 'doc-generator',
  version: '1.0.0',
  description: 'Writes TSDoc, JSDoc, docstrings or Markdown reference pages for submitted source files.',
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`),
  tools: { allow: READ_ONLY_TOOLS, mode: 'dontAsk' },
  maxTurns: 30,
  operations: {
    generate: defineOperation({
      description: 'Document the submitted files in the requested style for the requested audience.',
      input: generateInput,
      output: generateOutput,
      prepare: (input) => ({
        prompt: [
          `Document these ${input.files.length} file(s) in the \`${input.style}\` style for the \`${input.audience}\` audience:`,
          ...input.files.map((f) => `- ${f.path}`),
        ].join('\n'),
        files: input.files,
      }),
      example: {
        files: [{ path: 'src/retry.ts', content: 'export async function retry<T>(fn: () => Promise<T>, times = 3): Promise<T> {\n  for (let i = 0; ; i++) {\n    try { return await fn(); } catch (e) { if (i + 1 >= times) throw e; }\n  }\n}\n' }],
        style: 'tsdoc',
      },
    }),
  },
});
