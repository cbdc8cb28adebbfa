import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PlatformError, type Logger } from '@ccp/plugin-api';
import { Metrics } from '../metrics/metrics';
import { AuditLog, createAuditLog, type AuditEntry, type AuditFileSink } from './audit-log';
import { FileAuditSink, type AuditSinkHealth } from './audit-sink';

const entry: AuditEntry = { requestId: 'r1', key: 'ci-bot', plugin: 'code-review', operation: 'review', transport: 'http', outcome: 'success', inputTokens: 1, outputTokens: 2, costUsd: 0.5, durationMs: 3 };

class Lines extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

/** A logger that keeps what it is told, by level. */
function recordingLogger() {
  const said: { level: string; msg: string }[] = [];
  const at = (level: string) => (_obj: unknown, msg?: string) => void said.push({ level, msg: msg ?? '' });
  const logger = { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') } as unknown as Logger;
  return { logger, said };
}

const sinkIn = (health: Partial<AuditSinkHealth>): AuditFileSink => ({
  health: () => ({ failing: false, backlogBytes: 0, droppedLines: 0, failedWrites: 0, ...health }),
  close: async () => undefined,
});

describe('AuditLog', () => {
  it('refuses only while its file fails and audit.onFailure is refuse', () => {
    const { logger } = recordingLogger();
    expect(new AuditLog(logger, sinkIn({ failing: true }), 'refuse').refusing).toBe(true);
    expect(new AuditLog(logger, sinkIn({ failing: false }), 'refuse').refusing).toBe(false);
    expect(new AuditLog(logger, sinkIn({ failing: true }), 'continue').refusing).toBe(false);
    expect(new AuditLog(logger, undefined, 'refuse').refusing).toBe(false);
  });

  it('assertAccepting() throws a 503 audit_unavailable with Retry-After while refusing, and nothing otherwise', () => {
    const { logger } = recordingLogger();
    expect(() => new AuditLog(logger, sinkIn({ failing: false }), 'refuse').assertAccepting()).not.toThrow();
    let thrown: unknown;
    try {
      new AuditLog(logger, sinkIn({ failing: true }), 'refuse').assertAccepting();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PlatformError);
    expect(thrown).toMatchObject({ code: 'audit_unavailable', status: 503, extras: { retryAfterSeconds: expect.any(Number) } });
  });

  it('reports where lines go and how the file is doing', () => {
    const { logger } = recordingLogger();
    expect(new AuditLog(logger).state()).toEqual({ sink: 'stdout', onFailure: 'continue' });
    expect(new AuditLog(logger, sinkIn({ failing: true, lastError: 'ENOSPC: x', droppedLines: 4 }), 'refuse').state()).toMatchObject({ sink: 'file', onFailure: 'refuse', failing: true, lastError: 'ENOSPC: x', droppedLines: 4 });
  });
});

describe('createAuditLog', () => {
  const secrets = { values: ['sk-ant-secret-value-123'] };

  it('writes each line to stdout and to the file, scrubbed of secrets', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ccp-audit-log-')), 'audit.log');
    const stdout = new Lines();
    const audit = createAuditLog({ file, onFailure: 'continue' }, { logger: recordingLogger().logger, metrics: new Metrics({ defaultMetrics: false }), secrets, stdout });
    audit.record({ ...entry, outcome: 'sk-ant-secret-value-123' });
    await audit.close();
    for (const text of [stdout.text, readFileSync(file, 'utf8')]) {
      expect(JSON.parse(text)).toMatchObject({ audit: true, key: 'ci-bot', outcome: '[redacted]', msg: 'invocation' });
    }
  });

  it('counts every failed write and dropped line, and logs the failure once and the recovery once', async () => {
    const { logger, said } = recordingLogger();
    const metrics = new Metrics({ defaultMetrics: false });
    let fail = true;
    let wrote = '';
    const sink = new FileAuditSink({
      path: '/fake/audit.log',
      retryMinMs: 1,
      retryMaxMs: 1,
      maxBacklogBytes: 400,
      openFile: async () => ({
        write: async (data) => {
          if (fail) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          wrote += data.toString();
          return data.length;
        },
        close: async () => undefined,
      }),
    });
    const audit = createAuditLog({ file: '/fake/audit.log', onFailure: 'refuse' }, { logger, metrics, secrets, stdout: new Lines(), sink });
    const value = async (counter: Metrics['auditWriteFailures']) => (await counter.get()).values[0]?.value ?? 0;

    const failed = once(sink, 'write-failed');
    audit.record(entry);
    expect(audit.refusing).toBe(false); // nothing has been tried yet: writes are asynchronous
    await failed;
    expect(audit.refusing).toBe(true);
    audit.record(entry); // the backlog (400 bytes) holds one line: this one is dropped
    await once(sink, 'write-failed'); // the retry fails too
    expect(await value(metrics.auditWriteFailures)).toBe(2);
    expect(await value(metrics.auditDroppedLines)).toBe(1);
    expect(said.filter((s) => s.level === 'error').map((s) => s.msg)).toEqual(['the audit file cannot be written: ENOSPC; audit.onFailure is refuse']);

    const recovered = once(sink, 'recovered');
    fail = false;
    await recovered;
    expect(audit.refusing).toBe(false);
    expect(wrote.split('\n').filter(Boolean)).toHaveLength(1);
    expect(said.filter((s) => s.level === 'warn').map((s) => s.msg)).toEqual(['the audit file is written again']);
    await audit.close();
  });
});
