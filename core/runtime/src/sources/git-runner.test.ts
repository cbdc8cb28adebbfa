import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecGitRunner, gitArgs, gitEnv, GitFailure, hardeningArgs } from './git-runner';

describe('the hardened git runner', () => {
  it('switches off hooks, fsmonitor, filters, submodule recursion and every transport but the one asked for', () => {
    const args = hardeningArgs({ scheme: 'https' }).filter((a) => a !== '-c');
    expect(args).toEqual(expect.arrayContaining(['core.hooksPath=/dev/null', 'core.fsmonitor=false', 'filter.lfs.smudge=', 'submodule.recurse=false', 'protocol.allow=never', 'protocol.https.allow=always', 'credential.helper=']));
    expect(args.filter((a) => a.startsWith('protocol.'))).toEqual(['protocol.allow=never', 'protocol.https.allow=always']);
    expect(hardeningArgs({}).filter((a) => a.startsWith('protocol.'))).toEqual(['protocol.allow=never']);
  });

  it('passes credentials through the environment only, never on the command line', () => {
    const command = { args: ['fetch', 'origin'], gitDir: '/m.git', scheme: 'https' as const, credentials: { username: 'x-access-token', token: 'ghp_canary_123' }, timeoutMs: 1000 };
    expect(gitArgs(command).join(' ')).not.toContain('ghp_canary_123');
    expect(gitArgs(command).join(' ')).toContain('credential.helper=!f()');
    const env = gitEnv({}, command);
    expect(env.CCP_GIT_TOKEN).toBe('ghp_canary_123');
    expect(gitEnv({}, { ...command, credentials: undefined }).CCP_GIT_TOKEN).toBeUndefined();
  });

  it('builds its environment from an allowlist, with the system and global config switched off', () => {
    const env = gitEnv({ PATH: '/bin', HOME: '/home/x', ANTHROPIC_API_KEY: 'sk-ant-x', GIT_DIR: '/evil', GIT_CONFIG_GLOBAL: '/evil/gitconfig', GIT_SSH_COMMAND: 'touch /tmp/x' }, { scheme: 'ssh' });
    expect(env).toMatchObject({ PATH: '/bin', HOME: '/home/x', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', GIT_LFS_SKIP_SMUDGE: '1', GIT_ALLOW_PROTOCOL: 'ssh', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' });
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
    expect(env.GIT_DIR).toBeUndefined();
  });

  it("ignores the host's global git config, whatever the environment names", async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccp-gitenv-'));
    const config = '[user]\n\tname = from-the-host\n[core]\n\thooksPath = /tmp/evil-hooks\n';
    writeFileSync(join(home, '.gitconfig'), config);
    writeFileSync(join(home, 'global'), config);
    const git = new ExecGitRunner({ PATH: process.env.PATH, HOME: home, GIT_CONFIG_GLOBAL: join(home, 'global') });
    await expect(git.run({ args: ['config', '--get', 'user.name'], timeoutMs: 10_000 })).rejects.toMatchObject({ reason: 'failed', exitCode: 1 });
    expect((await git.run({ args: ['config', '--get', 'core.hooksPath'], timeoutMs: 10_000 })).toString().trim()).toBe('/dev/null');
  });

  it('fails typed: a non-zero exit, too much output, too much time', async () => {
    const git = new ExecGitRunner({ PATH: process.env.PATH });
    const cwd = mkdtempSync(join(tmpdir(), 'ccp-gitfail-'));
    await expect(git.run({ args: ['rev-parse', 'HEAD'], gitDir: join(cwd, 'none.git'), timeoutMs: 10_000 })).rejects.toMatchObject({ name: 'GitFailure', reason: 'failed', exitCode: 128 });
    await expect(git.run({ args: ['version'], timeoutMs: 10_000, maxBytes: 4 })).rejects.toMatchObject({ reason: 'too_large' });
    // a stand-in for a fetch from a host that does not answer
    const hang = join(cwd, 'hang');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 5\n', { mode: 0o755 });
    const failure = await new ExecGitRunner({ PATH: process.env.PATH }, hang).run({ args: ['fetch'], timeoutMs: 100 }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(GitFailure);
    expect((failure as GitFailure).reason).toBe('timeout');
  });
});

describe('closing the git runner', () => {
  it('ends the commands still running', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ccp-gitclose-'));
    const hang = join(cwd, 'hang');
    writeFileSync(hang, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const git = new ExecGitRunner({ PATH: process.env.PATH }, hang);
    const running = git.run({ args: ['fetch'], timeoutMs: 60_000 }).catch((e: unknown) => e);
    git.close();
    const failure = (await running) as GitFailure;
    expect([failure.reason, failure.stderr]).toEqual(['failed', expect.stringMatching(/^ended at shutdown/)]);
  });
});
