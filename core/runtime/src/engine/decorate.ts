import type { PlatformConfig } from '../config/schema';
import type { Metrics } from '../metrics/metrics';
import { AdmissionLimit } from '../limits/admission';
import { AdmissionEngine } from './decorators/admission';
import { BreakerEngine } from './decorators/breaker';
import { MeteredEngine } from './decorators/metered';
import type { Engine } from './types';

/** An engine with its decorators, and the breaker an operator may look at or reset. */
export interface DecoratedEngine {
  readonly engine: Engine;
  readonly breaker: BreakerEngine;
  readonly admission: AdmissionEngine;
}

/**
 * Wraps any engine the same way: Metered(Admission(Breaker(engine))). Admission sits in
 * front of the breaker, so a burst of our own making is refused as at_capacity and never
 * counts as an upstream failure.
 */
export function decorate(engine: Engine, config: Pick<PlatformConfig, 'breaker' | 'admission' | 'pricing'>, inFlight: number, metrics: Metrics): DecoratedEngine {
  const breaker = new BreakerEngine(engine, config.breaker, metrics);
  const admission = new AdmissionEngine(breaker, new AdmissionLimit(config.admission, inFlight, metrics));
  return { engine: new MeteredEngine(admission, metrics, config.pricing), breaker, admission };
}
