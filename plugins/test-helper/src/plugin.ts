import { definePlugin, defineOperation, readPrompt, workspaceFiles } from '@ccp/plugin-api';
import { z } from 'zod';

/** Frameworks the helper writes tests for. */
export const FRAMEWORKS = ['jest', 'vitest', 'node-test', 'pytest', 'go-test'] as const;

/** `generate-tests` input. */
export const generateTestsInput = z.strictObject({
  files: workspaceFiles({ maxFiles: 30, maxFileBytes: 200 * 1024, maxTotalBytes: 1024 * 1024 }),
  framework: z.enum(FRAMEWORKS),
  target: z.string().min(1).max(200).optional(),
});

const testCase = z.strictObject({ name: z.string(), covers: z.string() });

/** What the agent answers: the paths it wrote, the cases and notes. */
export const generateTestsOutput = z.strictObject({
  testFiles: z.array(z.string()).describe('Relative paths of the test files written with the Write tool'),
  cases: z.array(testCase),
  notes: z.string(),
});

/** What the caller receives: the test files as written in the workspace, with their content. */
export const generateTestsResult = z.strictObject({
  tests: z.array(z.strictObject({ path: z.string(), content: z.string() })),
  cases: z.array(testCase),
  notes: z.string(),
});

/**
 * Writes tests for submitted code. It may `Write`, but only inside its own workspace (the
 * platform's permission guard denies anything else); the files it wrote are returned.
 */
export const testHelperPlugin = definePlugin({
  id: 'test-helper',
  version: '1.0.0',
  description: 'Writes test files for submitted code in jest, vitest, node:test, pytest or go test, and lists the cases they cover.',
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`),
  tools: { allow: ['Read', 'Grep', 'Glob', 'Write'], mode: 'acceptEdits' },
  maxTurns: 40,
  operations: {
    'generate-tests': defineOperation({
      description: 'Write tests for the submitted files (or one target in them) in the requested framework.',
      input: generateTestsInput,
      output: generateTestsOutput,
      result: generateTestsResult,
      prepare: (input) => ({
        prompt: [
          `Write ${input.framework} tests${input.target ? ` for \`${input.target}\`` : ''} for the code in these file(s):`,
          ...input.files.map((f) => `- ${f.path}`),
          'Save each test file with the Write tool inside the working directory.',
        ].join('\n'),
        files: input.files,
      }),
      finish: (output, { written }) => ({
        tests: written.map((f) => ({ path: f.path, content: f.content })),
        cases: output.cases,
        notes: written.length === 0 ? `${output.notes}\n(No test file was written to the workspace.)`.trim() : output.notes,
      }),
      example: {
        files: [{ path: 'src/slug.ts', content: "export const slug = (s: string) => s.trim().toLowerCase().replace(/\\s+/g, '-');\n" }],
        framework: 'jest',
      },
    }),
  },
});
