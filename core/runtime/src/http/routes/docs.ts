import type { Request } from 'express';
import { z } from 'zod';
import { route, type Route } from '../api/route';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pretty = (v: unknown) => esc(JSON.stringify(v, null, 2));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the document is plain JSON

/** The base URL the page was asked for (host as the request names it; escaped where shown). */
function baseOf(req: Request): string {
  const host = req.get('host') ?? 'localhost:8080';
  return /^[A-Za-z0-9.:[\]-]+$/.test(host) ? `${req.protocol}://${host}` : 'http://localhost:8080';
}

function resolveRef(doc: Doc, schema: Doc | undefined): Doc | undefined {
  const ref = schema?.$ref as string | undefined;
  return ref?.startsWith('#/components/schemas/') ? (doc.components.schemas[ref.slice('#/components/schemas/'.length)] as Doc) : schema;
}

function operationHtml(doc: Doc, base: string, path: string, method: string, op: Doc, anchor: string): string {
  const body = op.requestBody?.content?.['application/json'];
  const input = resolveRef(doc, body?.schema);
  const ok = op.responses?.['200'] ?? op.responses?.['201'];
  const result = ok?.content?.['application/json']?.schema as Doc | undefined;
  const resultRef = resolveRef(doc, result?.properties?.result as Doc | undefined);
  const streams = ok?.content?.['text/event-stream'] !== undefined;
  const auth = op.security?.length === 0 ? '' : ' -H "authorization: Bearer $CCP_KEY"';
  const data = body?.example !== undefined ? ` -H 'content-type: application/json' \\\n  -d '${JSON.stringify(body.example).replaceAll("'", "'\\''")}'` : '';
  const curl = `curl -s -X ${method.toUpperCase()} ${base}${path}${auth}${data}`;
  return `<section class="op" id="${esc(anchor)}">
  <h3><span class="verb">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
  <p>${esc(op.summary ?? '')}</p>${op.description ? `\n  <p class="desc">${esc(op.description)}</p>` : ''}
  ${input ? `<details><summary>Input schema</summary><pre>${pretty(input)}</pre></details>` : ''}
  ${resultRef ? `<details><summary>Result schema</summary><pre>${pretty(resultRef)}</pre></details>` : ''}
  ${streams ? '<p class="note">Streams as Server-Sent Events with <code>Accept: text/event-stream</code>: <code>start</code>, <code>text</code>, <code>tool</code>, then one <code>result</code> or <code>error</code>.</p>' : ''}
  <p>Example:</p><pre class="example">${esc(curl)}</pre>
  <form class="try" data-method="${esc(method.toUpperCase())}" data-path="${esc(path)}"${op.security?.length === 0 ? ' data-public="1"' : ''}>
    ${body ? `<label>Body<textarea name="body" rows="6" spellcheck="false">${pretty(body.example ?? {})}</textarea></label>` : ''}
    <button type="submit">Try it</button> <output></output>
  </form>
</section>`;
}

/** The human-readable page: every route of the document, grouped by tag, with the host it was asked on. */
function page(doc: Doc, base: string): string {
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(doc.paths as Doc)) {
    for (const [method, op] of Object.entries(methods as Doc)) {
      const tag = ((op as Doc).tags?.[0] as string | undefined) ?? 'other';
      const [pluginId, opName] = String((op as Doc).operationId).split('.');
      const anchor = opName && doc.tags.some((t: Doc) => t.name === pluginId && t['x-plugin']) ? `${pluginId}-${opName}` : String((op as Doc).operationId);
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(doc, base, path, method, op as Doc, anchor)]);
    }
  }
  const sections = (doc.tags as Doc[]).map((tag) => {
    const ops = byTag.get(tag.name) ?? [];
    return `<article class="plugin" id="${esc(tag.name)}">
  <h2>${esc(tag.name)}${tag['x-version'] ? ` <small>${esc(tag['x-version'])}</small>` : ''}</h2>
  <p>${esc(tag.description ?? '')}</p>
  ${ops.join('\n')}
</article>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claude Code Platform API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:62rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}h2 small{color:#595959;font-weight:normal}
.op{margin:1rem 0 1.5rem 1rem}.verb{background:#1f5fbf;color:#fff;border-radius:4px;padding:0 .4rem;font-size:.8em}
pre{background:#f6f8fa;padding:.8rem;overflow:auto;border-radius:6px;font-size:13px}code{font-size:.95em}
nav a{margin-right:1rem}.try textarea{width:100%;font:13px monospace}.try output{display:block;white-space:pre-wrap;font:13px monospace}
.key{background:#fffbe6;padding:.6rem;border-radius:6px}
</style></head>
<body>
<h1>Claude Code Platform API</h1>
<p>Every operation takes a JSON body and answers <code>{ result, usage, durationMs, sessionId }</code>; errors are RFC 9457 problems (<code>application/problem+json</code>). The machine-readable description is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1), generated from the same route declarations as this page. Served from <code>${esc(base)}</code>.</p>
<p class="key"><label>API key (kept in this page's memory only, sent as <code>Authorization: Bearer</code>) <input id="api-key" type="password" autocomplete="off" size="48"></label></p>
<p><strong>WebSocket</strong> <code>${esc(base.replace(/^http/, 'ws'))}/v1/ws</code>: send <code>{"type":"invoke","id":"a","plugin":"code-review","operation":"review","input":{…}}</code>, <code>{"type":"message","id":"b","sessionId":"…","text":"…"}</code> or <code>{"type":"cancel","id":"a"}</code>; each event back carries the call's <code>id</code> (see <code>WsClientMessage</code> and <code>WsServerEvent</code> in the document).</p>
<p><strong>MCP</strong> <code>${esc(base)}/mcp</code> (Streamable HTTP): every operation your key may use is a tool named <code>&lt;plugin&gt;__&lt;operation&gt;</code> (e.g. <code>code-review__review</code>) with the operation's input and result schemas; results come back as <code>structuredContent</code>, refusals as tool errors carrying the problem document. Add it to Claude Code with <code>claude mcp add --transport http ccp ${esc(base)}/mcp --header "Authorization: Bearer $CCP_KEY"</code>.</p>
<nav>${(doc.tags as Doc[]).map((t) => `<a href="#${esc(t.name)}">${esc(t.name)}</a>`).join('')}</nav>
${sections.join('\n')}
<script src="/docs/try.js"></script>
</body></html>`;
}

/** Sends a "Try it" form with the key from the page (never stored, never in a URL). */
const TRY_SCRIPT = `document.addEventListener('submit', async (e) => {
  const form = e.target.closest('form.try');
  if (!form) return;
  e.preventDefault();
  const out = form.querySelector('output');
  const key = document.getElementById('api-key').value.trim();
  const headers = { accept: 'application/json' };
  if (key && !form.dataset.public) headers.authorization = 'Bearer ' + key;
  const body = form.querySelector('textarea');
  if (body) headers['content-type'] = 'application/json';
  const path = form.dataset.path.replace(/\\{([^}]+)\\}/g, (_, p) => encodeURIComponent(prompt(p) || ''));
  out.textContent = '…';
  try {
    const res = await fetch(path, { method: form.dataset.method, headers, body: body ? body.value : undefined });
    out.textContent = res.status + ' ' + (await res.text()).slice(0, 20000);
  } catch (err) {
    out.textContent = String(err);
  }
});
`;

/** `GET /openapi.json`, the page `GET /docs` built from it, and `GET /` pointing there. */
export function docsRoutes(document: () => Record<string, unknown>): Route[] {
  const tags = ['documentation'];
  return [
    route({
      method: 'get', path: '/openapi.json', public: true, operationId: 'openApi', summary: 'This document (OpenAPI 3.1)', tags,
      responses: { 200: { description: 'The OpenAPI document', json: z.record(z.string(), z.unknown()) } },
      handlers: [(_req, res) => void res.type('application/json').send(JSON.stringify(document()))],
    }),
    route({
      method: 'get', path: '/docs', public: true, operationId: 'docsPage', summary: 'The API as a page: every route, with examples and a way to try a call', tags,
      responses: { 200: { description: 'HTML', other: { mediaType: 'text/html', schema: z.string() } } },
      handlers: [(req, res) => void res.type('text/html').send(page(document() as Doc, baseOf(req)))],
    }),
    route({
      method: 'get', path: '/docs/try.js', public: true, operationId: 'docsScript', summary: "The docs page's script", tags,
      responses: { 200: { description: 'JavaScript', other: { mediaType: 'text/javascript', schema: z.string() } } },
      handlers: [(_req, res) => void res.type('text/javascript').set('cache-control', 'public, max-age=300').send(TRY_SCRIPT)],
    }),
    route({
      method: 'get', path: '/', public: true, operationId: 'root', summary: 'Redirects to /docs', tags,
      responses: { 302: { description: 'To /docs', headers: { Location: '/docs' } } },
      handlers: [(_req, res) => res.redirect(302, '/docs')],
    }),
    route({
      method: 'get', path: '/favicon.ico', public: true, operationId: 'favicon', summary: 'No icon (an empty answer beats a 404 on every page view)', tags,
      responses: { 204: { description: 'Nothing' } },
      handlers: [(_req, res) => void res.status(204).end()],
    }),
  ];
}
