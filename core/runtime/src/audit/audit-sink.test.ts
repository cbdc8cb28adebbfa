import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileAuditSink, type SinkFile } from './audit-sink';

/** A file that fails on demand, takes at most `perWrite` bytes a write, or never answers. */
class FakeFile implements SinkFile {
  readonly chunks: Buffer[] = [];
  failWith: Error | undefined;
  perWrite = Infinity;
  hang = false;
  opened = 0;
  async write(data: Buffer): Promise<number> {
    if (this.hang) return new Promise<number>(() => undefined);
    if (this.failWith) throw this.failWith;
    const n = Math.min(data.length, this.perWrite);
    this.chunks.push(Buffer.from(data.subarray(0, n)));
    return n;
  }
  async close(): Promise<void> {}
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

const enospc = () => Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC' });

function fakeSink(file: FakeFile, options: { maxBacklogBytes?: number; closeTimeoutMs?: number } = {}) {
  return new FileAuditSink({
    path: '/fake/audit.log',
    retryMinMs: 1,
    retryMaxMs: 1,
    ...options,
    openFile: async () => {
      file.opened++;
      return file;
    },
  });
}

describe('FileAuditSink', () => {
  it('appends lines in order to a real file, creating its directory, and close() writes what is queued', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'ccp-sink-')), 'logs', 'audit.log');
    const sink = new FileAuditSink({ path });
    for (let i = 0; i < 100; i++) expect(sink.write(`line ${i}\n`)).toBe(true);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
    expect(sink.health()).toEqual({ failing: false, backlogBytes: 0, droppedLines: 0, failedWrites: 0 });
  });

  it('never writes synchronously: write() returns before anything reaches the file', async () => {
    const file = new FakeFile();
    const sink = fakeSink(file);
    sink.write('a\n');
    expect(file.chunks).toHaveLength(0);
    await once(sink, 'idle');
    expect(file.text).toBe('a\n');
  });

  it('on a failing write keeps the lines, reports failing with the reason, and recovers once writes succeed', async () => {
    const file = new FakeFile();
    const sink = fakeSink(file);
    file.failWith = enospc();
    const failed = once(sink, 'write-failed');
    sink.write('one\n');
    const [err] = (await failed) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ENOSPC');
    sink.write('two\n');
    expect(sink.health()).toMatchObject({ failing: true, lastError: 'ENOSPC: no space left on device, write', backlogBytes: 8, droppedLines: 0, failedWrites: 1, failingSince: expect.any(String) });

    const recovered = once(sink, 'recovered');
    file.failWith = undefined;
    await recovered;
    expect(file.text).toBe('one\ntwo\n');
    expect(sink.health()).toEqual({ failing: false, backlogBytes: 0, droppedLines: 0, failedWrites: expect.any(Number) });
    expect(file.opened).toBeGreaterThan(1); // the file is opened again after a failure
    await sink.close();
  });

  it('keeps the backlog bounded: lines that do not fit are dropped and counted', async () => {
    const file = new FakeFile();
    const sink = fakeSink(file, { maxBacklogBytes: 10 });
    file.failWith = enospc();
    const dropped: number[] = [];
    sink.on('dropped', (n) => dropped.push(n));
    expect(sink.write('12345\n')).toBe(true);
    expect(sink.write('1234\n')).toBe(false);
    expect(sink.write('123\n')).toBe(true);
    expect(sink.health()).toMatchObject({ failing: true, backlogBytes: 10, droppedLines: 1 });
    expect(dropped).toEqual([1]);
    const recovered = once(sink, 'recovered');
    file.failWith = undefined;
    await recovered;
    expect(file.text).toBe('12345\n123\n');
    await sink.close();
  });

  it('finishes a line that a short write cut in two', async () => {
    const file = new FakeFile();
    file.perWrite = 3;
    const sink = fakeSink(file);
    sink.write('abcdefgh\n');
    sink.write('ij\n');
    await once(sink, 'idle');
    expect(file.text).toBe('abcdefgh\nij\n');
  });

  it('reports a file that cannot be opened as failing, without throwing', async () => {
    const sink = new FileAuditSink({ path: mkdtempSync(join(tmpdir(), 'ccp-sink-dir-')), retryMinMs: 60_000 });
    const failed = once(sink, 'write-failed');
    expect(sink.write('x\n')).toBe(true);
    expect(((await failed) as [NodeJS.ErrnoException])[0].code).toBe('EISDIR');
    expect(sink.health()).toMatchObject({ failing: true, lastError: expect.stringMatching(/^EISDIR/) });
    await sink.close();
    expect(sink.health()).toMatchObject({ droppedLines: 1, backlogBytes: 0 });
  });

  (existsSync('/dev/full') ? it : it.skip)('fails with ENOSPC on /dev/full, and close() still returns', async () => {
    const sink = new FileAuditSink({ path: '/dev/full', retryMinMs: 60_000 });
    const failed = once(sink, 'write-failed');
    sink.write('x\n');
    expect(((await failed) as [NodeJS.ErrnoException])[0].code).toBe('ENOSPC');
    await sink.close();
    expect(sink.health()).toMatchObject({ failing: true, droppedLines: 1 });
  });

  it('close() is bounded when the file never answers; what is left is counted as dropped', async () => {
    const file = new FakeFile();
    file.hang = true;
    const sink = fakeSink(file, { closeTimeoutMs: 20 });
    sink.write('a\n');
    sink.write('b\n');
    await sink.close();
    expect(sink.health()).toMatchObject({ droppedLines: 2 });
  }, 2_000);

  it('drops and counts lines written after close()', async () => {
    const file = new FakeFile();
    const sink = fakeSink(file);
    await sink.close();
    expect(sink.write('late\n')).toBe(false);
    expect(sink.health()).toMatchObject({ droppedLines: 1 });
    expect(file.text).toBe('');
  });
});
