import type { NextFunction, Request, Response } from 'express';
import type { Metrics } from '../metrics/metrics';

/**
 * Marks where a router is mounted, so the route label can be rebuilt after express has
 * left the router (and reset `req.baseUrl`), e.g. in an error handler.
 */
export function mountedAt(path: string) {
  return (_req: Request, res: Response, next: NextFunction): void => {
    res.locals.mountPath = path;
    next();
  };
}

/** The route template a request matched (`/v1/plugins/:id/:operation`), never the raw URL. */
export function routeTemplate(req: Request, res: Response): string {
  const route = req.route as { path?: string } | undefined;
  if (!route?.path) return 'unmatched';
  const base = typeof res.locals.mountPath === 'string' ? res.locals.mountPath : '';
  return route.path === '/' && base ? base : `${base}${route.path}`;
}

/** Observes every request's duration by method, route template and status. */
export function httpMetrics(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const end = metrics.httpRequestDuration.startTimer();
    res.once('close', () => {
      end({ method: req.method, route: routeTemplate(req, res), status_code: String(res.statusCode) });
    });
    next();
  };
}
