import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const dir = join(__dirname, '../deploy/ci');

/** Splits a shell command line into words (double and single quotes, no expansion). */
export function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Every string in a parsed YAML document (the run: and script: steps among them). */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The `ccp review …` command lines of each recipe under deploy/ci/, by file. */
export function recipeCommands(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const file of ['github-actions.yml', 'gitlab-ci.yml', 'review.sh']) {
    const text = readFileSync(join(dir, file), 'utf8');
    const lines = file.endsWith('.sh') ? text.split('\n') : strings(parse(text)).flatMap((s) => s.split('\n'));
    out[file] = lines.map((l) => l.trim()).filter((l) => l.startsWith('ccp review '));
  }
  return out;
}
