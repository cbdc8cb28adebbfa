import { readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { UnavailableError } from '@ccp/plugin-api';
import { z } from 'zod';
import { route, type Route } from '../api/route';

/** The built console: the directory of its fingerprinted assets and the two the page loads. */
export interface ConsoleAssets {
  readonly dir: string;
  readonly files: ReadonlySet<string>;
  readonly js: string;
  readonly css: string;
}

/**
 * The console's Content-Security-Policy, stricter than helmet's default for the API: no
 * inline script or style, nothing from another origin, no framing, no plugins, and the
 * page may talk only to this origin (the same public API, with the key as a Bearer header).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.txt': 'text/plain; charset=utf-8', '.map': 'application/json' };

/** Reads the console's manifest from the `@ccp/console` package; `undefined` when it is not built. */
export function loadConsoleAssets(): ConsoleAssets | undefined {
  try {
    const root = join(dirname(require.resolve('@ccp/console/package.json')), 'dist');
    const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { js: string; css: string };
    const dir = join(root, 'assets');
    return { dir, files: new Set(readdirSync(dir)), js: manifest.js, css: manifest.css };
  } catch {
    return undefined;
  }
}

const page = (a: ConsoleAssets) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Claude Code Platform console</title>
<link rel="stylesheet" href="/console/assets/${a.css}">
<script type="module" src="/console/assets/${a.js}"></script>
</head><body><div id="app"></div><noscript>The console needs JavaScript; the API is described at <a href="/docs">/docs</a>.</noscript></body></html>
`;

const notBuilt = () => new UnavailableError('console_not_built', 'The console is not built on this instance: run `npm run build` (it bundles packages/console) and restart.');

/**
 * `GET /console`: the web console's page, and `GET /console/assets/{file}`: its fingerprinted
 * script and stylesheet, cached for a year (a new build has new names; the page itself is
 * never cached, so it always names the current ones). Public like /docs: the page holds no
 * data; everything it shows comes from the API with the key the user pastes.
 */
export function consoleRoutes(assets: ConsoleAssets | undefined): Route[] {
  const tags = ['documentation'];
  return [
    route({
      method: 'get', path: '/console', public: true, operationId: 'consolePage', tags,
      summary: 'The web console: sign in with an API key; catalogue, playground, jobs, sessions, status, admin',
      responses: { 200: { description: 'HTML', other: { mediaType: 'text/html', schema: z.string() } } },
      problems: [503],
      handlers: [
        (_req, res) => {
          if (!assets) throw notBuilt();
          res.set({ 'content-security-policy': CONSOLE_CSP, 'cache-control': 'no-cache', 'referrer-policy': 'no-referrer' }).type('text/html').send(page(assets));
        },
      ],
    }),
    route({
      method: 'get', path: '/console/assets/:file', public: true, operationId: 'consoleAsset', tags,
      summary: "One of the console's fingerprinted files (immutable: its name changes with its content)",
      params: { file: 'The file name, as the console page names it' },
      responses: { 200: { description: 'The file', other: { mediaType: 'text/javascript', schema: z.string() }, headers: { 'Cache-Control': 'public, max-age=31536000, immutable' } } },
      problems: [404, 503],
      handlers: [
        (req, res, next) => {
          if (!assets) throw notBuilt();
          const file = String(req.params.file);
          // Only the names the build wrote: never a path the request makes up.
          if (!assets.files.has(file)) return next();
          res
            .set({ 'content-security-policy': CONSOLE_CSP, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' })
            .type(TYPES[extname(file)] ?? 'application/octet-stream')
            .sendFile(join(assets.dir, file));
        },
      ],
    }),
  ];
}
