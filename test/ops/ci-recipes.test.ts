import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseReviewArgs } from '../../packages/cli/src/review-args';
import { recipeCommands, words } from '../ci-recipes';

// The CI recipes under deploy/ci/ (docs/ci.md walks through them): each parses (YAML, sh -n),
// and each `ccp review` line is one the command accepts, run with no other flags than those
// test/e2e/ccp-cli.test.ts runs (it runs review.sh's line itself).

const EXERCISED = new Set(['--local', '--base', '--head', '--report', '--fail-on', '--format', '--output', '--quiet']);

describe('CI recipes', () => {
  const commands = recipeCommands();

  it('each has a ccp review command', () => {
    expect(Object.fromEntries(Object.entries(commands).map(([f, c]) => [f, c.length]))).toEqual({ 'github-actions.yml': 1, 'gitlab-ci.yml': 1, 'review.sh': 1 });
  });

  it('run command lines ccp accepts, with flags the CLI test exercises', () => {
    for (const [file, lines] of Object.entries(commands)) {
      for (const line of lines) {
        const args = words(line).slice(2);
        expect(() => parseReviewArgs(args)).not.toThrow();
        const flags = args.filter((a) => a.startsWith('--'));
        expect({ file, unexercised: flags.filter((f) => !EXERCISED.has(f)) }).toEqual({ file, unexercised: [] });
        expect({ file, failOn: parseReviewArgs(args).failOn }).toEqual({ file, failOn: 'high' });
      }
    }
  });

  it('the shell recipe is valid sh', () => {
    expect(() => execFileSync('sh', ['-n', join(__dirname, '../../deploy/ci/review.sh')])).not.toThrow();
  });
});
