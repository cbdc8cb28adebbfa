import type { Express, Request, RequestHandler } from 'express';
import type { Route } from './route';

/** What guards the routes that are not public. */
export interface RouteGuards {
  /** Authenticates the caller (sets `req.caller`). */
  readonly authenticate: RequestHandler;
  /** The per-key rate limit for requests that are not calls (calls count in the pipeline). */
  readonly perKeyLimit: (skip: (req: Request) => boolean) => RequestHandler;
}

const COUNTED = Symbol('counted as a call');
type Marked = Request & { [COUNTED]?: boolean };

/**
 * Serves each declared route on the app: a public route as declared, any other behind the
 * caller's authentication and the per-key rate limit (which lets a call pass: the call
 * pipeline counts it, so it is counted once). Documentation-only routes are skipped.
 */
export function mountRoutes(app: Express, routes: readonly Route[], guards?: RouteGuards): void {
  const perKey = guards?.perKeyLimit((req) => (req as Marked)[COUNTED] === true);
  for (const r of routes) {
    if (r.documentOnly) continue;
    const mark: RequestHandler = (req, _res, next) => {
      (req as Marked)[COUNTED] = r.countedAsCall?.(req) ?? false;
      next();
    };
    const guard = r.public || !guards || !perKey ? [] : [guards.authenticate, mark, perKey];
    app[r.method](r.path, ...guard, ...r.handlers);
  }
}
