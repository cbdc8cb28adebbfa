import request from 'supertest';
import { demoBanner } from './demo-banner';
import { FakeEngine } from './fake-client';
import { unitRuntime } from './unit-runtime';

describe('demoBanner', () => {
  it('lists what is served and one call per plugin from its own example, on served routes only', async () => {
    const rt = await unitRuntime(new FakeEngine(), { config: { plugins: { 'doc-generator': { enabled: false } } } });
    try {
      const openapi = (await request(rt.app).get('/openapi.json').expect(200)).body as { paths: Record<string, unknown> };
      const plugins = rt.registry.list();
      const banner = demoBanner({ base: 'http://127.0.0.1:1', simulatorUrl: 'http://127.0.0.1:2', key: 'k', plugins, paths: new Set(Object.keys(openapi.paths)) });
      expect(banner).toContain(`Serving ${plugins.length} plugins:`);
      expect(banner).not.toContain('doc-generator');
      for (const p of plugins) {
        const op = [...p.operations.values()][0];
        expect(banner).toMatch(new RegExp(`^  ${p.definition.id} +${op?.name}.*\\(${p.source}\\)$`, 'm'));
        const call = banner.indexOf(`-X POST http://127.0.0.1:1/v1/plugins/${p.definition.id}/${op?.name} `);
        expect(call).toBeGreaterThan(0);
        // The body is the operation's own example, as one shell word.
        const body = /-d '((?:[^']|'\\'')*)'/.exec(banner.slice(call))?.[1]?.replaceAll(`'\\''`, "'");
        expect(JSON.parse(body ?? 'null')).toEqual(op?.definition.example);
      }
      // Only routes of the served document: without /metrics in it, no /metrics line.
      const without = demoBanner({ base: 'b', simulatorUrl: 's', key: 'k', plugins, paths: new Set(Object.keys(openapi.paths).filter((path) => path !== '/metrics')) });
      expect(without).not.toContain('/metrics');
      expect(banner).toContain('open http://127.0.0.1:1/console and paste the demo key');
      expect(demoBanner({ base: 'b', simulatorUrl: 's', key: 'k', plugins, paths: new Set(Object.keys(openapi.paths).filter((path) => path !== '/console')) })).not.toContain('/console');
    } finally {
      await rt.dispose();
    }
  });
});
