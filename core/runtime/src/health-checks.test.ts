import { parseConfig } from './config/load-config';
import { auditHealth, healthChecks } from './health-checks';
import { Lifecycle } from './lifecycle/lifecycle';
import { PluginRegistry } from './plugins/registry';
import { createSharedState } from './state/shared-state';

const config = parseConfig({});
const state = createSharedState(undefined, 60_000);
afterAll(() => state.close());

const checks = (breakerState?: 'closed' | 'half_open' | 'open') =>
  healthChecks(config, { anthropicApiKey: 'sk-ant-unit' }, new PluginRegistry([]), state, new Lifecycle(), breakerState ? { state: breakerState, retryAfterSeconds: () => 7 } : undefined);

describe('healthChecks: the circuit breaker', () => {
  it('is down while open (this instance cannot run a query), with the state and the wait', () => {
    expect(checks('open').circuitBreaker?.()).toMatchObject({ status: 'down', state: 'open', retryAfterSeconds: 7, detail: expect.stringContaining('7 s') });
  });

  it('is degraded while half-open, so the trial query that can close it still arrives', () => {
    expect(checks('half_open').circuitBreaker?.()).toMatchObject({ status: 'degraded', state: 'half_open' });
  });

  it('is ok while closed or absent', () => {
    expect(checks('closed').circuitBreaker?.()).toEqual({ status: 'ok', state: 'closed' });
    expect(checks().circuitBreaker?.()).toEqual({ status: 'ok', state: 'disabled' });
  });
});

describe('auditHealth', () => {
  const file = { sink: 'file' as const, backlogBytes: 120, droppedLines: 3, failedWrites: 5 };

  it('is ok for stdout, and for a file that writes', () => {
    expect(auditHealth({ sink: 'stdout', onFailure: 'continue' })).toEqual({ status: 'ok', sink: 'stdout' });
    expect(auditHealth({ ...file, onFailure: 'continue', failing: false })).toEqual({ status: 'ok', ...file, onFailure: 'continue' });
  });

  it('is degraded for a failing file when calls go on, down when they are refused, and says why', () => {
    const failing = { ...file, failing: true, lastError: 'ENOSPC: no space left on device', failingSince: '2026-01-01T00:00:00.000Z' };
    expect(auditHealth({ ...failing, onFailure: 'continue' })).toMatchObject({ status: 'degraded', droppedLines: 3, failedWrites: 5, detail: expect.stringMatching(/ENOSPC.*Calls go on/) });
    expect(auditHealth({ ...failing, onFailure: 'refuse' })).toMatchObject({ status: 'down', detail: expect.stringMatching(/ENOSPC.*refused with 503 audit_unavailable/) });
  });

  it('is the audit component of readiness when an audit log is given', () => {
    const withAudit = healthChecks(config, {}, new PluginRegistry([]), state, new Lifecycle(), undefined, { state: () => ({ ...file, onFailure: 'refuse', failing: true, lastError: 'EROFS: read-only file system' }) });
    expect(withAudit.audit?.()).toMatchObject({ status: 'down' });
  });
});

describe('healthChecks: the database of keys and the ledger', () => {
  const withDatabase = (keysStale: boolean, ledgerFailing: boolean) =>
    healthChecks(config, { anthropicApiKey: 'sk-ant-unit' }, new PluginRegistry([]), state, new Lifecycle(), undefined, undefined, {
      kind: 'postgres', location: 'postgresql://db:5432/ccp', keysStale: () => keysStale, ledgerFailing: () => ledgerFailing, ledgerBacklog: () => 12,
    });

  it('is ok while reads and writes succeed, and absent without a database', () => {
    expect(withDatabase(false, false).database?.()).toEqual({ status: 'ok', kind: 'postgres', location: 'postgresql://db:5432/ccp', ledgerBacklog: 12 });
    expect(checks().database).toBeUndefined();
  });

  it('is degraded, never down, when it does not answer: calls go on from the snapshot', () => {
    expect(withDatabase(true, false).database?.()).toMatchObject({ status: 'degraded', detail: expect.stringContaining('last snapshot of keys') });
    expect(withDatabase(false, true).database?.()).toMatchObject({ status: 'degraded', detail: expect.stringContaining('kept and retried') });
  });
});
