import { Router, type Request, type Response } from 'express';
import { mayUse } from '../../auth/caller';
import type { OperationCallRequest } from '../../calls/call';
import type { Planner } from '../../calls/plan';
import type { CallRunner } from '../../calls/runner';
import type { RegisteredPlugin } from '../../plugins/registered-plugin';
import type { PluginRegistry } from '../../plugins/registry';
import { callerSignal } from '../caller-signal';
import { requireJson } from '../require-json';
import { streamCall, wantsEventStream } from '../event-stream';

function describe(plugin: RegisteredPlugin, withSchemas: boolean) {
  const d = plugin.definition;
  return {
    id: d.id,
    version: d.version,
    description: d.description,
    engine: plugin.engine,
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
export function pluginRoutes(registry: PluginRegistry, planner: Planner, runner: CallRunner, heartbeatMs: number): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.json({ plugins: registry.list().filter((p) => mayUse(req.caller, p.definition.id)).map((p) => describe(p, false)) });
  });

  router.get('/:id', (req: Request<{ id: string }>, res) => {
    res.json(describe(planner.plugin(req.params.id, req.caller), true));
  });

  router.post('/:id/:operation', requireJson(), async (req: Request<{ id: string; operation: string }>, res: Response) => {
    const streaming = wantsEventStream(req);
    const call: OperationCallRequest = {
      kind: 'operation',
      requestId: req.id,
      caller: req.caller,
      clientIp: req.ip,
      transport: streaming ? 'sse' : 'http',
      streaming,
      plugin: req.params.id,
      operation: req.params.operation,
      body: req.body,
      ...(/no-cache|no-store/i.test(req.get('cache-control') ?? '') ? { cacheControl: 'no-cache' as const } : {}),
    };
    if (streaming) {
      await streamCall(req, res, heartbeatMs, (sink, signal) => runner.run(call, sink, signal));
      return;
    }
    const onCache = (status: string) => {
      if (!res.headersSent) res.setHeader('X-Cache', status);
    };
    res.json(await runner.run(call, { cache: onCache }, callerSignal(res)));
  });

  return router;
}
