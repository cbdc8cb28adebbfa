// The platform as an operator runs it (`node apps/server/dist/server.js`) with the shipped
// config/default.yaml, plus one CI key and whatever a bench row changes.
'use strict';
const { mkdtempSync, readFileSync, writeFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, isAbsolute, join, resolve } = require('node:path');
const { parse, stringify } = require('yaml');

const root = join(__dirname, '../..');
const SHIPPED = join(root, 'config/default.yaml');
const { startServerProcess } = require(join(root, 'core/testing/dist'));

/** Deep-merges plain objects; `undefined` in `over` deletes the key; arrays replace. */
function merge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) delete out[k];
    else out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? merge(out[k], v) : v;
  }
  return out;
}

/** The shipped config with its relative plugin paths made absolute (the copy lives elsewhere). */
function shippedConfig() {
  const config = parse(readFileSync(SHIPPED, 'utf8'));
  for (const section of Object.values(config.plugins ?? {})) {
    for (const key of ['definition', 'module']) {
      if (typeof section?.[key] === 'string' && section[key].startsWith('.')) section[key] = resolve(dirname(SHIPPED), section[key]);
    }
  }
  return config;
}

/** The shipped definition of a YAML plugin, its prompt file read in (so it can be changed and given inline). */
function shippedYamlPlugin(id) {
  const file = shippedConfig().plugins?.[id]?.definition;
  if (typeof file !== 'string') return undefined;
  const path = isAbsolute(file) ? file : resolve(dirname(SHIPPED), file);
  const definition = parse(readFileSync(path, 'utf8'));
  if (definition.systemPromptFile) {
    definition.systemPrompt = readFileSync(resolve(dirname(path), definition.systemPromptFile), 'utf8').trim();
    delete definition.systemPromptFile;
  }
  return definition;
}

/**
 * Starts the server with config/default.yaml, the bench key (rate limit and maxConcurrent
 * high enough for every level) and `overlay`; resolves to { url, pid, headers, stop }, or
 * rejects with the server's own words when it does not start (e.g. a config it refuses).
 */
async function startPlatform({ simUrl, key, hashKey, overlay = {}, keyEntry = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'ccp-bench-server-'));
  const config = merge(shippedConfig(), {
    auth: { keys: [{ name: 'ci', sha256: hashKey(key), rateLimit: { limit: 100_000 }, maxConcurrent: 1000, ...keyEntry }] },
    claude: { workspaceRoot: join(dir, 'ws') },
    ...overlay,
  });
  const file = join(dir, 'config.yaml');
  writeFileSync(file, stringify(config));
  const server = await startServerProcess({ HOME: dir, CCP_CONFIG: file, ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: simUrl }, 30_000);
  if (!server.url) {
    rmSync(dir, { recursive: true, force: true });
    const why = server.output().trim().split('\n').slice(-4).join(' ');
    throw new Error(why || 'the server did not start');
  }
  return {
    url: server.url,
    pid: server.child.pid,
    config,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startPlatform, shippedConfig, shippedYamlPlugin, merge };
