import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The built CLI, as `npm run keys` runs it (`npm test` builds first).
const keys = (...args: string[]) => spawnSync(process.execPath, [join(__dirname, '../../dist/cli/keys.js'), ...args], { encoding: 'utf8', input: '' });

describe('npm run keys', () => {
  it.each(['--help', '-h', 'help', 'create --help'])('prints the usage for "%s" and exits 0', (args) => {
    const run = keys(...args.split(' '));
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n  npm run keys -- create --name <name>/);
    expect(run.stderr).toBe('');
  });

  it('refuses an unknown command with the usage, exit 2', () => {
    const run = keys('nope');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^unknown command "nope"\n\nUsage:/);
  });

  it('creates a key and the config entry for it with --config-entry (no database touched)', () => {
    const run = keys('create', '--name', 'ci-bot', '--plugins', 'code-review', '--config-entry');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/sha256: [0-9a-f]{64}/);
  });

  it('refuses a verb without the key id it needs', () => {
    const run = keys('revoke');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^revoke needs the key's id/);
  });
});
