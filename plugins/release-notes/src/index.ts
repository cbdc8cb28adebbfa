import { defineOperation, definePlugin, readPrompt } from '@ccp/plugin-api';
import { z } from 'zod';

/**
 * An example of a plugin published as its own package. It imports only
 * `@ccp/plugin-api` (and zod), and an operator enables it by name in config:
 *
 *   plugins:
 *     release-notes:
 *       module: '@ccp/plugin-release-notes'
 */
export const releaseNotesPlugin = definePlugin({
  id: 'release-notes',
  version: '0.1.0',
  description: 'Drafts user-facing release notes from the commit subjects of a release.',
  systemPrompt: readPrompt('prompt.md', `${__dirname}/..`),
  tools: { allow: ['Read'], mode: 'dontAsk' },
  maxTurns: 6,
  operations: {
    draft: defineOperation({
      description: 'Draft release notes from commit subjects.',
      input: z.strictObject({
        version: z.string().min(1).max(50),
        commits: z.array(z.string().min(1).max(500)).min(1).max(2000),
      }),
      output: z.strictObject({
        title: z.string(),
        highlights: z.array(z.string()),
        breaking: z.array(z.string()),
        notes: z.string(),
      }),
      prepare: (input) => ({
        prompt: `Draft the release notes for version ${input.version} from the ${input.commits.length} commit subjects in commits.txt.`,
        files: [{ path: 'commits.txt', content: `${input.commits.join('\n')}\n` }],
      }),
      example: { version: '2.4.0', commits: ['feat(api): add pagination to /v1/items', 'fix: crash when the config file is empty', 'chore(ci): cache npm'] },
    }),
  },
});

export default releaseNotesPlugin;
