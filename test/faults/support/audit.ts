import { existsSync, readFileSync } from 'node:fs';

/** One audit line of a call (`"audit":true,"msg":"invocation"`), as the server writes it. */
export interface AuditLine {
  readonly requestId: string;
  readonly key: string;
  readonly plugin: string;
  readonly operation: string;
  readonly transport: string;
  readonly outcome: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly spendBasis?: string;
  readonly durationMs: number;
  readonly sessionId?: string;
}

/** The audit lines of calls in a log text (other log lines, and a line cut by the process ending, are skipped). */
export function auditLines(text: string): AuditLine[] {
  const out: AuditLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"audit":true') || !line.includes('"msg":"invocation"')) continue;
    try {
      const parsed = JSON.parse(line) as AuditLine & { audit?: boolean; msg?: string };
      if (parsed.audit === true && parsed.msg === 'invocation') out.push(parsed);
    } catch {
      // cut short
    }
  }
  return out;
}

/** The audit lines in `audit.file`. */
export function auditFileLines(file: string): AuditLine[] {
  return existsSync(file) ? auditLines(readFileSync(file, 'utf8')) : [];
}
