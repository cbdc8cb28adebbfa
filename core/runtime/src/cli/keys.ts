import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { PlatformError } from '@ccp/plugin-api';
import { stringify } from 'yaml';
import { generateKey, hashKey } from '../auth/api-keys';
import { KeyService, type KeyView } from '../auth/key-service';
import type { KeySettings } from '../auth/key-store';
import { KeyStore } from '../auth/key-store';
import { ConfigError, loadConfig } from '../config/load-config';
import { readSecrets } from '../config/env-overrides';
import { apiKeySchema } from '../config/schema';
import { chooseDatabase, openDatabase } from '../db/open-database';
import { createAuditLog } from '../audit/audit-log';
import { createLogger } from '../logging/logger';
import { Metrics } from '../metrics/metrics';

const USAGE = `Usage:
  npm run keys -- create --name <name> [--plugins a,b] [--roles user,admin] [--daily-usd N] [--monthly-usd N]
                         [--max-concurrent N] [--rate-limit N] [--expires-at <ISO date-time>] [--config-entry]
  npm run keys -- list
  npm run keys -- show <id>
  npm run keys -- update <id> [--plugins a,b] [--roles user,admin] [--daily-usd N] [--monthly-usd N]
                         [--max-concurrent N] [--rate-limit N] [--expires-at <ISO date-time>|never]
  npm run keys -- rotate <id> [--grace-seconds N]   (the old secret works N more seconds, 24 h by default)
  npm run keys -- revoke <id>
  npm run keys -- hash                 (reads a key on stdin, prints its sha256)
  npm run keys -- --help               (this text)

The verbs work on the database the server's config names: PostgreSQL at DATABASE_URL, else the
embedded database in database.embeddedDir (CCP_DATA_DIR; \`data\` in the shipped config), which
one process holds at a time: while a server runs on it, use its admin API (POST /v1/admin/keys).
create prints the new key once; only its SHA-256 is stored. With --config-entry (or without a
database) it prints the entry to paste under auth.keys in the config file instead.`;

function fail(message: string, code = 2): never {
  process.stderr.write(code === 2 ? `${message}\n\n${USAGE}\n` : `${message}\n`);
  process.exit(code);
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);
const number = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) fail(`--${flag} must be a positive number`);
  return n;
};

const OPTIONS = {
  name: { type: 'string' },
  plugins: { type: 'string' },
  roles: { type: 'string' },
  'daily-usd': { type: 'string' },
  'monthly-usd': { type: 'string' },
  'max-concurrent': { type: 'string' },
  'rate-limit': { type: 'string' },
  'expires-at': { type: 'string' },
  'grace-seconds': { type: 'string' },
  'config-entry': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** The settings the flags give (only those given: an update changes nothing else). */
function settingsOf(values: Values): Partial<KeySettings> {
  const budget = { ...(values['daily-usd'] ? { dailyUsd: number(values['daily-usd'], 'daily-usd') } : {}), ...(values['monthly-usd'] ? { monthlyUsd: number(values['monthly-usd'], 'monthly-usd') } : {}) };
  const expires = values['expires-at'];
  if (expires && expires !== 'never' && Number.isNaN(Date.parse(expires))) fail('--expires-at must be an ISO 8601 date-time, or never');
  const roles = list(values.roles);
  if (roles?.some((r) => r !== 'user' && r !== 'admin')) fail('--roles takes user and admin');
  return {
    ...(roles ? { roles: roles as ('user' | 'admin')[] } : {}),
    ...(list(values.plugins) ? { plugins: list(values.plugins) } : {}),
    ...(Object.keys(budget).length ? { budget } : {}),
    ...(values['max-concurrent'] ? { maxConcurrent: number(values['max-concurrent'], 'max-concurrent') } : {}),
    ...(values['rate-limit'] ? { rateLimit: { limit: number(values['rate-limit'], 'rate-limit') as number } } : {}),
    ...(expires ? { expiresAt: expires === 'never' ? null : new Date(expires) } : {}),
  };
}

/** The old way, still right for keys that should live in the config file: the entry to paste. */
function configEntry(values: Values): void {
  const key = generateKey();
  const s = settingsOf(values);
  const entry = {
    name: values.name,
    sha256: hashKey(key),
    ...(s.roles ? { roles: s.roles } : {}),
    ...(s.plugins ? { plugins: s.plugins } : {}),
    ...(s.budget ? { budget: s.budget } : {}),
    ...(s.maxConcurrent ? { maxConcurrent: s.maxConcurrent } : {}),
    ...(s.rateLimit ? { rateLimit: s.rateLimit } : {}),
  };
  const checked = apiKeySchema.safeParse(entry);
  if (!checked.success) fail(checked.error.issues.map((i) => `${i.path.join('.') || 'key'}: ${i.message}`).join('\n'));
  process.stdout.write(
    `New API key for "${values.name}" (shown once; give it to its owner, store it nowhere else):\n\n  ${key}\n\n` +
      `Add this entry under auth.keys in your config:\n\n${stringify([entry]).replace(/^/gm, '  ')}\n`,
  );
}

const describe = (k: KeyView) =>
  `${k.id}  ${k.name}  ${k.state}${k.source === 'file' ? ' (config file, read-only)' : ''}\n` +
  `  roles ${k.roles.join(',')}  plugins ${k.plugins.join(',')}${k.budget ? `  budget ${JSON.stringify(k.budget)}` : ''}${k.maxConcurrent ? `  maxConcurrent ${k.maxConcurrent}` : ''}${k.rateLimit ? `  rateLimit ${k.rateLimit.limit}` : ''}\n` +
  (k.expiresAt ? `  expires ${k.expiresAt}\n` : '') +
  (k.revokedAt ? `  revoked ${k.revokedAt}\n` : '') +
  k.secrets.map((s) => `  secret ${s.prefix}…${s.last4}  created ${s.createdAt}${s.expiresAt ? `, works until ${s.expiresAt}` : ''}\n`).join('') +
  (k.unknownPlugins.length ? `  names plugins not served: ${k.unknownPlugins.join(', ')}\n` : '');

const secretText = (name: string, secret: string, id: string) => `New secret for "${name}" (${id}); shown once, give it to its owner, store it nowhere else:\n\n  ${secret}\n\n`;

async function withDatabase(command: string, positionals: string[], values: Values): Promise<void> {
  const { config } = loadConfig(process.env);
  const secrets = readSecrets(process.env, config.auth);
  if (chooseDatabase(config, secrets).kind === 'none') {
    if (command === 'create') return configEntry(values);
    fail('no database is configured (set DATABASE_URL, or database.embeddedDir / CCP_DATA_DIR): keys live in the config file (auth.keys) only', 1);
  }
  const logSecrets = { values: [secrets.databaseUrl], patterns: config.logging.redactPatterns };
  const db = await openDatabase(config, secrets, createLogger('warn', logSecrets, process.stderr), 'npm run keys');
  if (!db) return;
  // A change made here is an audit line like one made through the API: on stderr, and in audit.file when set.
  const audit = createAuditLog(config.audit, { logger: createLogger('info', logSecrets, process.stderr), metrics: new Metrics({ defaultMetrics: false }), secrets: logSecrets, stdout: process.stderr });
  const keys = new KeyService({ store: new KeyStore(db), fileKeys: config.auth.keys, audit, now: () => new Date(), rotationGraceSeconds: config.database.rotationGraceSeconds });
  const actor = { name: `npm run keys (${userInfo().username})`, requestId: 'cli' };
  const id = positionals[0] ?? '';
  try {
    if (command === 'list') process.stdout.write((await keys.list()).map(describe).join('\n') || 'no keys\n');
    else if (command === 'show') process.stdout.write(describe(await keys.get(id)));
    else if (command === 'create') {
      const s = settingsOf(values);
      const made = await keys.create(values.name ?? '', { roles: s.roles ?? ['user'], plugins: s.plugins ?? ['*'], ...s }, actor);
      process.stdout.write(secretText(made.key.name, made.secret, made.key.id) + describe(made.key));
    } else if (command === 'update') process.stdout.write(describe(await keys.update(id, settingsOf(values), actor)));
    else if (command === 'rotate') {
      const made = await keys.rotate(id, values['grace-seconds'] === undefined ? undefined : number(values['grace-seconds'], 'grace-seconds'), actor);
      process.stdout.write(secretText(made.key.name, made.secret, made.key.id) + describe(made.key));
    } else if (command === 'revoke') process.stdout.write(describe(await keys.revoke(id, actor)));
  } catch (err) {
    if (err instanceof PlatformError) fail(`${err.code}: ${err.detail}`, 1);
    throw err;
  } finally {
    await audit.close();
    await db.close();
  }
}

async function hash(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(`${hashKey(input.trim())}\n`);
}

const VERBS = ['create', 'list', 'show', 'update', 'rotate', 'revoke'];

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command === 'hash') return hash();
  if (!command || !VERBS.includes(command)) fail(command ? `unknown command "${command}"` : 'no command given');
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (err) {
    fail((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (command === 'create' && !values.name) fail('create needs --name <name>');
  if (['show', 'update', 'rotate', 'revoke'].includes(command) && !positionals[0]) fail(`${command} needs the key's id (npm run keys -- list shows them)`);
  if (command === 'create' && values['config-entry']) return configEntry(values);
  await withDatabase(command, positionals, values);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  fail(err instanceof ConfigError ? err.message : `npm run keys: ${err instanceof Error ? err.message : String(err)}`, 1);
});
