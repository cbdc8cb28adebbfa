import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { mountRoutes } from '../api/mount';
import { CONSOLE_CSP, consoleRoutes, loadConsoleAssets, type ConsoleAssets } from './console';

const dir = mkdtempSync(join(tmpdir(), 'ccp-console-'));
writeFileSync(join(dir, 'console-ABCDEFGH.js'), 'console.log(1);\n');
writeFileSync(join(dir, 'console-style-IJKLMNOP.css'), 'body{}\n');
writeFileSync(join(dir, '..', 'secret.txt'), 'not an asset\n');
const assets: ConsoleAssets = { dir, files: new Set(['console-ABCDEFGH.js', 'console-style-IJKLMNOP.css']), js: 'console-ABCDEFGH.js', css: 'console-style-IJKLMNOP.css' };

const problem: ErrorRequestHandler = (err: { status?: number; code?: string }, _req, res, _next) => void res.status(err.status ?? 500).json({ code: err.code });

function app(a: ConsoleAssets | undefined) {
  const out = express();
  mountRoutes(out, consoleRoutes(a));
  out.use(problem);
  return out;
}

describe('/console', () => {
  it('serves a page that names its fingerprinted assets, under a strict CSP, never cached', async () => {
    const res = await request(app(assets)).get('/console').expect(200);
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('<script type="module" src="/console/assets/console-ABCDEFGH.js"></script>');
    expect(res.text).toContain('href="/console/assets/console-style-IJKLMNOP.css"');
  });

  it('serves only the files the build wrote, each cached as immutable', async () => {
    const js = await request(app(assets)).get('/console/assets/console-ABCDEFGH.js').expect(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    await request(app(assets)).get('/console/assets/..%2Fsecret.txt').expect(404);
    await request(app(assets)).get('/console/assets/console-OLDHASH1.js').expect(404);
  });

  it('answers 503 console_not_built when the console is not built', async () => {
    expect((await request(app(undefined)).get('/console').expect(503)).body.code).toBe('console_not_built');
  });

  it('finds the built console in the @ccp/console package (npm run build bundles it)', () => {
    const built = loadConsoleAssets();
    expect(built?.files.has(built.js)).toBe(true);
    expect(built?.files.has(built.css)).toBe(true);
  });
});
