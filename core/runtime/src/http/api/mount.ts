import { PlatformError } from '@ccp/plugin-api';
import type { ErrorRequestHandler, Express, Request, RequestHandler } from 'express';
import { isAudited } from '../../calls/stages/audit';
import type { Route } from './route';

/** What guards the routes that are not public. */
export interface RouteGuards {
  /** Authenticates the caller (sets `req.caller`). */
  readonly authenticate: RequestHandler;
  /** The per-key rate limit for requests that are not calls (calls count in the pipeline). */
  readonly perKeyLimit: (skip: (req: Request) => boolean) => RequestHandler;
  /** Reads a JSON body: after authentication, so a caller without a key gets its 401 before any body is read. */
  readonly parseJson?: RequestHandler;
  /** Audits a call route's request refused before its call was handed on (a body that did not parse, …). */
  readonly auditRefusal?: (req: Request, err: unknown) => void;
}

const COUNTED = Symbol('counted as a call');
type Marked = Request & { [COUNTED]?: boolean };

/** The per-key limit, letting a request pass when the store it counts in does not answer. */
const passWhenStoreDown = (limit: RequestHandler): RequestHandler => (req, res, next) =>
  limit(req, res, (err?: unknown) => next(err instanceof PlatformError && err.code === 'shared_state_unavailable' ? undefined : err));

/**
 * Serves each declared route on the app: a public route as declared, any other behind the
 * caller's authentication and the per-key rate limit (which lets a call pass: the call
 * pipeline counts it, so it is counted once), its JSON body read after authentication. A call
 * route's request refused before its call was handed on is audited here, once (the pipeline
 * marks the errors it audited itself). Documentation-only routes are skipped.
 */
export function mountRoutes(app: Express, routes: readonly Route[], guards?: RouteGuards): void {
  const perKey = guards?.perKeyLimit((req) => (req as Marked)[COUNTED] === true);
  for (const r of routes) {
    if (r.documentOnly) continue;
    const mark: RequestHandler = (req, _res, next) => {
      (req as Marked)[COUNTED] = r.countedAsCall?.(req) ?? false;
      next();
    };
    const body = guards?.parseJson && r.method !== 'get' && r.method !== 'delete' ? [guards.parseJson] : [];
    const limit = perKey && r.servedWhileSharedStateDown ? passWhenStoreDown(perKey) : perKey;
    const guard = r.public || !guards || !limit ? body : [guards.authenticate, ...body, mark, limit];
    const audit = guards?.auditRefusal;
    const isCall = r.auditedAsCall ?? r.countedAsCall;
    const audited: ErrorRequestHandler[] =
      isCall && audit
        ? [
            (err, req, _res, next) => {
              // A caller that did not authenticate is not audited (a 401 is not a call); the pipeline marks what it wrote.
              if (req.caller && isCall(req) && !isAudited(err)) audit(req, err);
              next(err);
            },
          ]
        : [];
    app[r.method](r.path, ...guard, ...r.handlers, ...audited);
  }
}
