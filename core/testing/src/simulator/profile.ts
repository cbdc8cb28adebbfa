/** The read-only tools a profiled model calls before it answers. */
export const READ_TOOLS = ['Glob', 'Read', 'Grep'] as const;
/** One of {@link READ_TOOLS}. */
export type ReadTool = (typeof READ_TOOLS)[number];

/**
 * How the simulated model paces its answers and how many read-tool turns it takes, so a
 * test or a benchmark sees a real model's latency instead of an answer at once.
 */
export interface LatencyProfile {
  /** Shown in bench output and the simulator's record. */
  readonly name: string;
  /** Wait from a Messages API request's arrival to the first byte of its answer. */
  readonly firstByteMs: number;
  /** Wait between two successive events of a streamed answer. */
  readonly eventIntervalMs: number;
  /** Every wait varies by up to this share of itself either way (0 to 1), drawn from the seed. */
  readonly jitter?: number;
  /**
   * Turns the model spends calling read tools (from the `tools` the request offers) before
   * its answer, in order; `any` draws one of the offered read tools. A turn whose tool is
   * not offered uses another offered read tool, or is skipped when none is.
   */
  readonly toolTurns?: readonly (ReadTool | 'any')[];
  /** The same seed gives the same waits and the same tool calls for the n-th request answered. */
  readonly seed?: number;
}

/** The built-in profiles, by name. */
export const PROFILES = {
  /** Today's default: every answer at once, no tool turns. */
  instant: { name: 'instant', firstByteMs: 0, eventIntervalMs: 0 },
  /** A model as TOOLCHAIN.md measures one: 1.5 s to first byte per API turn, an event every 25 ms, one Glob turn. */
  realistic: { name: 'realistic', firstByteMs: 1500, eventIntervalMs: 25, toolTurns: ['Glob'], seed: 1 },
} as const satisfies Record<string, LatencyProfile>;

/** A name in {@link PROFILES}. */
export type ProfileName = keyof typeof PROFILES;

/** A profile given by name or in full. */
export function resolveProfile(profile: LatencyProfile | string): LatencyProfile {
  if (typeof profile !== 'string') return profile;
  const found = (PROFILES as Record<string, LatencyProfile>)[profile];
  if (!found) throw new Error(`unknown simulator profile "${profile}" (known: ${Object.keys(PROFILES).join(', ')})`);
  return found;
}

function number(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.POSITIVE_INFINITY): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min}${max < Number.POSITIVE_INFINITY ? ` to ${max}` : ''}, got "${raw}"`);
  return value;
}

function turns(raw: string): (ReadTool | 'any')[] {
  const names = raw.split(',').map((t) => t.trim()).filter(Boolean);
  for (const n of names) {
    if (n !== 'any' && !(READ_TOOLS as readonly string[]).includes(n)) throw new Error(`SIM_TOOL_TURNS: "${n}" is not one of ${READ_TOOLS.join(', ')}, any`);
  }
  return names as (ReadTool | 'any')[];
}

/**
 * The profile the environment asks for (for the bench and the demo): `SIM_PROFILE` names
 * one of {@link PROFILES} (else `fallback`), and `SIM_FIRST_BYTE_MS`, `SIM_EVENT_MS`,
 * `SIM_JITTER`, `SIM_SEED` and `SIM_TOOL_TURNS` (e.g. `Glob,any`; empty for none) change
 * parts of it. `undefined` when nothing is set and there is no fallback.
 */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env, fallback?: LatencyProfile | ProfileName): LatencyProfile | undefined {
  const named = env.SIM_PROFILE?.trim() ? resolveProfile(env.SIM_PROFILE.trim()) : fallback === undefined ? undefined : resolveProfile(fallback);
  const firstByteMs = number(env, 'SIM_FIRST_BYTE_MS', 0);
  const eventIntervalMs = number(env, 'SIM_EVENT_MS', 0);
  const jitter = number(env, 'SIM_JITTER', 0, 1);
  const seed = number(env, 'SIM_SEED', 0);
  const toolTurns = env.SIM_TOOL_TURNS === undefined ? undefined : turns(env.SIM_TOOL_TURNS);
  const changed = [firstByteMs, eventIntervalMs, jitter, seed, toolTurns].some((v) => v !== undefined);
  if (!named && !changed) return undefined;
  const base: LatencyProfile = named ?? PROFILES.instant;
  if (!changed) return base;
  return {
    ...base,
    name: `${base.name} (changed by SIM_*)`,
    ...(firstByteMs !== undefined ? { firstByteMs } : {}),
    ...(eventIntervalMs !== undefined ? { eventIntervalMs } : {}),
    ...(jitter !== undefined ? { jitter } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(toolTurns !== undefined ? { toolTurns } : {}),
  };
}

/** A small seeded generator (mulberry32): numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The generator for the n-th request a profile answers: independent of what the other requests drew. */
export function requestRandom(profile: LatencyProfile, n: number): () => number {
  return seededRandom(Math.imul((profile.seed ?? 0) ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n + 1, 0xc2b2ae35));
}

/** One wait of a profile, with its jitter drawn from `random`. */
export function jittered(ms: number, jitter: number, random: () => number): number {
  if (ms <= 0) return 0;
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}
