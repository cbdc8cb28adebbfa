import { waitUntil } from '@ccp/testing';
import type { AuditLine } from './audit';
import type { CallRecord } from './calls';
import type { FaultServer } from './server';

/** How long a call's audit line may take to reach the server's stdout after its answer. */
const AUDIT_LAG_MS = 2000;
/** Once the last call's line is in, how much longer an earlier call's line may take (lines of calls made one after another come in order). */
const AFTER_LAST_MS = 150;

function spendProblem(c: CallRecord, l: AuditLine): string | undefined {
  const got = { costUsd: l.costUsd, inputTokens: l.inputTokens, outputTokens: l.outputTokens, basis: l.spendBasis };
  const show = () => JSON.stringify(got);
  if (typeof l.costUsd !== 'number' || typeof l.inputTokens !== 'number' || typeof l.outputTokens !== 'number') return `its audit line has no settled spend (${show()})`;
  const s = c.spend;
  if (s === 'any') return undefined;
  if (s === 'none') return l.costUsd === 0 && l.inputTokens === 0 && l.outputTokens === 0 && l.spendBasis === 'none' ? undefined : `spent nothing, but its audit line says ${show()}`;
  if (s === 'reported') {
    if (l.spendBasis !== 'reported' || !(l.costUsd > 0)) return `answered, but its audit line says ${show()}`;
    if (c.costUsd !== undefined && Math.abs(c.costUsd - l.costUsd) > 1e-6) return `the answer says $${c.costUsd}, its audit line $${l.costUsd}`;
    return undefined;
  }
  const ok = Math.abs(s.costUsd - l.costUsd) <= 1e-6 && s.inputTokens === l.inputTokens && s.outputTokens === l.outputTokens && s.basis === l.spendBasis;
  return ok ? undefined : `the simulator billed ${JSON.stringify(s)}, its audit line says ${show()}`;
}

/**
 * Exactly one audit line for each call, with the outcome the caller saw and the spend it
 * should settle at; none for a request that is not a call. Returns what did not hold.
 */
export async function checkAudit(server: FaultServer, calls: readonly CallRecord[]): Promise<string[]> {
  const why: string[] = [];
  const audited = calls.filter((c) => c.audited);
  for (const c of audited) if (!c.requestId) why.push(`${c.label}: no answer named its request id (${c.code}), so no audit line can be matched`);
  const withId = audited.filter((c) => c.requestId);
  const byId = () => {
    const m = new Map<string, AuditLine[]>();
    for (const l of server.audit()) m.set(l.requestId, [...(m.get(l.requestId) ?? []), l]);
    return m;
  };
  const last = withId.at(-1)?.requestId;
  let lastSeenAt: number | undefined;
  await waitUntil(() => {
    const m = byId();
    if (withId.every((c) => (m.get(c.requestId as string)?.length ?? 0) >= 1)) return true;
    if (last && m.has(last)) lastSeenAt ??= Date.now();
    return lastSeenAt !== undefined && Date.now() - lastSeenAt > AFTER_LAST_MS;
  }, AUDIT_LAG_MS, 50);
  const lines = byId();
  for (const c of withId) {
    const mine = lines.get(c.requestId as string) ?? [];
    if (mine.length !== 1) {
      why.push(`${c.label}: ${mine.length} audit lines for one call (answered ${c.status} ${c.code})`);
      continue;
    }
    const [l] = mine as [AuditLine];
    if (c.code !== 'none' && l.outcome !== c.code) why.push(`${c.label}: answered ${c.code}, audited as ${l.outcome}`);
    const spend = spendProblem(c, l);
    if (spend) why.push(`${c.label}: ${spend}`);
  }
  for (const c of calls) {
    if (c.audited || !c.requestId) continue;
    const n = lines.get(c.requestId)?.length ?? 0;
    if (n > 0) why.push(`${c.label}: not a call, yet ${n} audit line(s)`);
  }
  return why;
}
