import { parseConfig } from './config/load-config';
import { healthChecks } from './health-checks';
import { Lifecycle } from './lifecycle';
import { PluginRegistry } from './plugins/registry';
import { createSharedState } from './shared-state';

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

