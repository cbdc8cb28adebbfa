import type { NextFunction, Request, Response } from 'express';
import { NotAllowedError } from '@ccp/plugin-api';
import type { Authenticator } from './api-keys';
import { mayUse, type Caller } from './caller';

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by {@link authenticate} on every /v1 route. */
    caller: Caller;
  }
}

/** Authenticates every request it guards; a failure is a 401 problem with `WWW-Authenticate`. */
export function authenticate(authenticator: Authenticator) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    req.caller = authenticator.authenticate(req.headers);
    next();
  };
}

/** Throws 403 unless the caller may use the plugin. */
export function requirePlugin(caller: Caller, pluginId: string): void {
  if (!mayUse(caller, pluginId)) {
    throw new NotAllowedError('forbidden', `API key "${caller.name}" may not use plugin "${pluginId}". An operator can add it to the key's plugins.`);
  }
}

/** Allows only callers with the admin role. */
export function requireAdmin(req: Request, _res: Response, next: NextFunction): void {
  if (!req.caller.roles.includes('admin')) {
    throw new NotAllowedError('forbidden', `API key "${req.caller.name}" does not have the admin role.`);
  }
  next();
}
