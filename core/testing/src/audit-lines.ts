import { readFileSync } from 'node:fs';

/** The audit lines of calls (`"msg":"invocation"`) in an `audit.file`, oldest first; none while it does not exist. */
export function auditFileLines(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return []; // a line the writer has not finished
      }
    })
    .filter((l) => l.msg === 'invocation');
}
