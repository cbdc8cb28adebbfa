import { definePlugin, defineOperation, readPrompt, READ_ONLY_TOOLS, workspaceFiles } from '@ccp/plugin-api';
import { z } from 'zod';
import { dependencyVersions } from './dependency-versions';

const ONE_LINE = 'must be one line, e.g. express@4';
// `x-errorMessage` (an extension named after ajv-errors' keyword) publishes the message, so a client (the console's form) can say what the server says.
const version = z.string().min(1).max(100).regex(/^[^\n\r]+$/, ONE_LINE).meta({ 'x-errorMessage': { pattern: ONE_LINE } });

/** `assess` input: the code and the two ends of the migration. */
export const assessInput = z.strictObject({
  files: workspaceFiles({ maxFiles: 60, maxFileBytes: 200 * 1024, maxTotalBytes: 1536 * 1024 }),
  from: version,
  to: version,
});

/** `assess` output: an ordered, risk-rated plan. */
export const assessOutput = z.strictObject({
  summary: z.string(),
  steps: z.array(
    z.strictObject({
      order: z.number().int().min(1),
      title: z.string(),
      files: z.array(z.string()),
      detail: z.string(),
      risk: z.enum(['low', 'medium', 'high']),
    }),
  ),
  breakingChanges: z.array(z.string()),
  effort: z.enum(['small', 'medium', 'large']),
});

/** Plans a migration between versions or libraries for the submitted code. Read-only. */
export const migrationAdvisorPlugin = definePlugin({
  id: 'migration-advisor',
  version: '1.1.0',
  description: 'Plans a migration (e.g. express@4 to express@5) for the submitted code: ordered steps, risks, breaking changes, effort.',
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`),
  tools: { allow: READ_ONLY_TOOLS, mode: 'dontAsk', define: [dependencyVersions] },
  maxTurns: 40,
  operations: {
    assess: defineOperation({
      description: 'Assess what moving the submitted code from one version or library to another involves.',
      input: assessInput,
      output: assessOutput,
      prepare: (input) => ({
        prompt: [`Plan the migration of this code from \`${input.from}\` to \`${input.to}\`. Files:`, ...input.files.map((f) => `- ${f.path}`)].join('\n'),
        files: input.files,
      }),
      example: {
        files: [{ path: 'server.js', content: "const app = require('express')();\napp.get('/user/:id?', (req, res) => res.send(req.param('id')));\napp.listen(3000);\n" }],
        from: 'express@4',
        to: 'express@5',
      },
    }),
  },
});
