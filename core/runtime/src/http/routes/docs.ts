import { Router } from 'express';
import type { PluginRegistry } from '../../plugins/registry';
import { openApiDocument } from '../openapi';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pretty = (v: unknown) => esc(JSON.stringify(v, null, 2));

function page(registry: PluginRegistry): string {
  const plugins = registry.list().map((p) => {
    const ops = [...p.operations.values()].map((op) => {
      const path = `/v1/plugins/${p.definition.id}/${op.name}`;
      const curl = `curl -s -X POST http://localhost:8080${path} \\\n  -H "authorization: Bearer $CCP_KEY" -H 'content-type: application/json' \\\n  -d '${JSON.stringify(op.definition.example).replaceAll("'", "'\\''")}'`;
      return `<section class="op" id="${esc(p.definition.id)}-${esc(op.name)}">
  <h3><span class="verb">POST</span> <code>${esc(path)}</code></h3>
  <p>${esc(op.definition.description)}</p>
  <details><summary>Input schema</summary><pre>${pretty(op.inputSchema)}</pre></details>
  <details><summary>Result schema</summary><pre>${pretty(op.resultSchema)}</pre></details>
  <p>Example:</p><pre class="example">${esc(curl)}</pre>
</section>`;
    });
    return `<article class="plugin" id="${esc(p.definition.id)}">
  <h2>${esc(p.definition.id)} <small>${esc(p.definition.version)}</small></h2>
  <p>${esc(p.definition.description)}</p>
  <p class="tools">Tools: ${p.tools.allow.map((t) => `<code>${esc(t)}</code>`).join(' ') || 'none'} · mode <code>${esc(p.tools.mode)}</code></p>
  ${ops.join('\n')}
</article>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claude Code Platform API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}h2 small{color:#888;font-weight:normal}
.op{margin:1rem 0 1.5rem 1rem}.verb{background:#1f6feb;color:#fff;border-radius:4px;padding:0 .4rem;font-size:.8em}
pre{background:#f6f8fa;padding:.8rem;overflow:auto;border-radius:6px;font-size:13px}code{font-size:.95em}
nav a{margin-right:1rem}
</style></head>
<body>
<h1>Claude Code Platform API</h1>
<p>Every operation takes a JSON body and answers <code>{ result, usage, durationMs, sessionId }</code>; errors are RFC 9457 problems. The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<nav>${registry.list().map((p) => `<a href="#${esc(p.definition.id)}">${esc(p.definition.id)}</a>`).join('')}</nav>
${plugins.join('\n')}
</body></html>`;
}

/** `GET /openapi.json` and the human-readable `GET /docs`, both built from the registry once. */
export function docsRoutes(registry: PluginRegistry, version: string): Router {
  const router = Router();
  const document = JSON.stringify(openApiDocument(registry, version));
  const html = page(registry);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('text/html').send(html);
  });
  router.get('/favicon.ico', (_req, res) => {
    res.status(204).end(); // browsers ask for it on every page; an empty answer beats a 404 problem
  });
  return router;
}
