import { Router, type Request, type Response } from 'express';
import { mayUse } from '../../auth/caller';
import { InputError } from '@ccp/plugin-api';
import type { OperationInvoker } from '../../invoke/invoker';
import { streamCall, wantsEventStream } from '../event-stream';
import type { RegisteredPlugin } from '../../plugins/registered-plugin';
import type { PluginRegistry } from '../../plugins/registry';

function describe(plugin: RegisteredPlugin, withSchemas: boolean) {
  const d = plugin.definition;
  return {
    id: d.id,
    version: d.version,
    description: d.description,
    tools: { allow: plugin.tools.allow, mode: plugin.tools.mode },
    ...(plugin.model ? { model: plugin.model } : {}),
    ...(plugin.maxTurns ? { maxTurns: plugin.maxTurns } : {}),
    operations: [...plugin.operations.values()].map((op) => ({
      name: op.name,
      description: op.definition.description,
      method: 'POST',
      path: `/v1/plugins/${d.id}/${op.name}`,
      ...(withSchemas
        ? { inputSchema: op.inputSchema, resultSchema: op.resultSchema, example: op.definition.example }
        : {}),
    })),
  };
}

/** `/v1/plugins`: list, describe and invoke plugin operations. */
export function pluginRoutes(registry: PluginRegistry, invoker: OperationInvoker, heartbeatMs: number): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.json({ plugins: registry.list().filter((p) => mayUse(req.caller, p.definition.id)).map((p) => describe(p, false)) });
  });

  router.get('/:id', (req: Request<{ id: string }>, res) => {
    res.json(describe(invoker.plugin(req.params.id, req.caller), true));
  });

  router.post('/:id/:operation', async (req: Request<{ id: string; operation: string }>, res: Response) => {
    if (!req.is('application/json')) {
      throw new InputError('unsupported_media_type', 'Send the input as a JSON object with Content-Type: application/json.');
    }
    const call = invoker.plan(req.params.id, req.params.operation, req.body, req.caller);
    const cacheControl = /no-cache|no-store/i.test(req.get('cache-control') ?? '') ? ('no-cache' as const) : undefined;
    const onCache = (status: string) => {
      if (!res.headersSent) res.setHeader('X-Cache', status);
    };
    if (wantsEventStream(req)) {
      await streamCall(req, res, heartbeatMs, (onEvent, signal) => invoker.execute(call, { requestId: req.id, signal, onEvent, caller: req.caller, clientIp: req.ip, transport: 'sse', cacheControl }));
      return;
    }
    const caller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) caller.abort();
    });
    res.json(await invoker.execute(call, { requestId: req.id, signal: caller.signal, caller: req.caller, clientIp: req.ip, transport: 'http', cacheControl, onCache }));
  });

  return router;
}
