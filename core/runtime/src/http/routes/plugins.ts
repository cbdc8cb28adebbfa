import { Router, type Request, type Response } from 'express';
import { NotFoundError, InputError } from '@ccp/plugin-api';
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

  router.get('/', (_req, res) => {
    res.json({ plugins: registry.list().map((p) => describe(p, false)) });
  });

  router.get('/:id', (req: Request<{ id: string }>, res) => {
    const plugin = registry.get(req.params.id);
    if (!plugin) throw new NotFoundError('plugin_not_found', `There is no plugin "${req.params.id}". GET /v1/plugins lists them.`);
    res.json(describe(plugin, true));
  });

  router.post('/:id/:operation', async (req: Request<{ id: string; operation: string }>, res: Response) => {
    if (!req.is('application/json')) {
      throw new InputError('unsupported_media_type', 'Send the input as a JSON object with Content-Type: application/json.');
    }
    const call = invoker.plan(req.params.id, req.params.operation, req.body);
    if (wantsEventStream(req)) {
      await streamCall(req, res, heartbeatMs, (onEvent, signal) => invoker.execute(call, { requestId: req.id, signal, onEvent }));
      return;
    }
    const caller = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) caller.abort();
    });
    res.json(await invoker.execute(call, { requestId: req.id, signal: caller.signal }));
  });

  return router;
}
