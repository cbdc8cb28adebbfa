import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendableFileProblem, pathProblems } from './file-checks';

const dir = mkdtempSync(join(tmpdir(), 'ccp-file-checks-'));

describe('appendableFileProblem', () => {
  it('accepts an existing file, a missing file in an existing directory, and one whose directories are still to be made', () => {
    writeFileSync(join(dir, 'audit.log'), '');
    expect(appendableFileProblem(join(dir, 'audit.log'))).toBeUndefined();
    expect(appendableFileProblem(join(dir, 'new.log'))).toBeUndefined();
    expect(appendableFileProblem(join(dir, 'a', 'b', 'audit.log'))).toBeUndefined();
    expect(existsSync(join(dir, 'new.log')) || existsSync(join(dir, 'a'))).toBe(false); // nothing is created
  });

  it('refuses a directory', () => {
    expect(appendableFileProblem(dir)).toBe('is a directory; name a file in it');
  });

  it('refuses files on /proc and /sys, existing or not', () => {
    expect(appendableFileProblem('/proc/version')).toBe('is on /proc, a kernel file system, not a place for a log file');
    expect(appendableFileProblem('/proc/nope/audit.log')).toBe('is on /proc, a kernel file system, not a place for a log file');
    if (existsSync('/sys/kernel')) expect(appendableFileProblem('/sys/kernel/audit.log')).toBe('is on /sys, a kernel file system, not a place for a log file');
  });

  it('refuses a path under a file, and a FIFO', () => {
    writeFileSync(join(dir, 'plain'), '');
    expect(appendableFileProblem(join(dir, 'plain', 'audit.log'))).toBe(`cannot be created: ${join(dir, 'plain')} is not a directory`);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(appendableFileProblem(fifo)).toBe('is a FIFO, not a file');
  });

  // Root may write anywhere, so the permission cases only mean something for other users.
  it('refuses a file or a directory this user cannot write', () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    writeFileSync(join(locked, 'audit.log'), '');
    chmodSync(join(locked, 'audit.log'), 0o400);
    chmodSync(locked, 0o500);
    const paths = [join(locked, 'audit.log'), join(locked, 'other.log')];
    // Root may write anywhere: as root (CI), the check runs as `nobody` in a child process,
    // on the built module (npm test builds first).
    const problems =
      process.getuid?.() === 0
        ? (() => {
            chmodSync(dir, 0o755);
            const module = join(__dirname, '../../dist/config/file-checks.js');
            const script = `const { appendableFileProblem } = require(${JSON.stringify(module)}); process.stdout.write(JSON.stringify(${JSON.stringify(paths)}.map(appendableFileProblem)));`;
            // A node that `nobody` may run (the test's own may sit in root's home, as CI's Node 24 does).
            const asNobody = { uid: 65534, gid: 65534, encoding: 'utf8' as const };
            const node = [process.execPath, '/usr/local/bin/node', '/usr/bin/node'].find((bin) => spawnSync(bin, ['-e', '0'], asNobody).status === 0);
            if (!node) throw new Error('no node binary that the nobody user may run');
            const child = spawnSync(node, ['-e', script], asNobody);
            if (child.status !== 0) throw new Error(`the check as nobody failed: ${child.stderr ?? child.error}`);
            return JSON.parse(child.stdout) as string[];
          })()
        : paths.map(appendableFileProblem);
    expect(problems[0]).toBe('cannot be opened for appending (EACCES: permission denied)');
    expect(problems[1]).toMatch(/^cannot be (created in .*locked|opened for appending) \(EACCES: permission denied\)$/);
  });

  it('accepts /dev/full: it opens, and only a write shows that it is full', () => {
    expect(existsSync('/dev/full')).toBe(true);
    expect(appendableFileProblem('/dev/full')).toBeUndefined();
  });
});

describe('pathProblems', () => {
  it('names audit.file and the reason, and ignores configs without one or with a non-string', () => {
    expect(pathProblems({ audit: { file: dir } })).toEqual([`audit.file: ${JSON.stringify(dir)} is a directory; name a file in it`]);
    expect(pathProblems({ audit: { file: 42 } })).toEqual([]);
    expect(pathProblems({ audit: 'x' })).toEqual([]);
    expect(pathProblems({})).toEqual([]);
    expect(pathProblems(undefined)).toEqual([]);
  });
});
