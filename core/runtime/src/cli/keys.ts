import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { generateKey, hashKey } from '../auth/api-keys';
import { apiKeySchema } from '../config/schema';

const USAGE = `Usage:
  npm run keys -- create --name <name> [--plugins a,b] [--roles user,admin] [--daily-usd N] [--monthly-usd N]
  npm run keys -- hash                 (reads a key on stdin, prints its sha256)
  npm run keys -- --help               (this text)

create prints a new random key once, and the entry to paste under auth.keys in the config.
The key itself is never stored: the config holds only its SHA-256.`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  process.exit(2);
}

const list = (v: string | undefined) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : undefined);

function create(args: string[]): void {
  const { values } = parseArgs({
    args,
    options: {
      name: { type: 'string' },
      plugins: { type: 'string' },
      roles: { type: 'string' },
      'daily-usd': { type: 'string' },
      'monthly-usd': { type: 'string' },
    },
    strict: true,
  });
  const key = generateKey();
  const budget = {
    ...(values['daily-usd'] ? { dailyUsd: Number(values['daily-usd']) } : {}),
    ...(values['monthly-usd'] ? { monthlyUsd: Number(values['monthly-usd']) } : {}),
  };
  const entry = {
    name: values.name,
    sha256: hashKey(key),
    ...(list(values.roles) ? { roles: list(values.roles) } : {}),
    ...(list(values.plugins) ? { plugins: list(values.plugins) } : {}),
    ...(Object.keys(budget).length ? { budget } : {}),
  };
  const checked = apiKeySchema.safeParse(entry);
  if (!checked.success) fail(checked.error.issues.map((i) => `${i.path.join('.') || 'key'}: ${i.message}`).join('\n'));
  process.stdout.write(
    `New API key for "${values.name}" (shown once; give it to its owner, store it nowhere else):\n\n  ${key}\n\n` +
      `Add this entry under auth.keys in your config:\n\n${stringify([entry]).replace(/^/gm, '  ')}\n`,
  );
}

async function hash(): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  process.stdout.write(`${hashKey(input.trim())}\n`);
}

const [command, ...rest] = process.argv.slice(2);
if (command === '--help' || command === '-h' || command === 'help' || (command === 'create' && (rest.includes('--help') || rest.includes('-h')))) process.stdout.write(`${USAGE}\n`);
else if (command === 'create') create(rest);
else if (command === 'hash') void hash();
else fail(command ? `unknown command "${command}"` : 'no command given');
