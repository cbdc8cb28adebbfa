import { jittered, PROFILES, profileFromEnv, requestRandom, resolveProfile, seededRandom } from './profile';

describe('latency profiles', () => {
  it('names the realistic profile TOOLCHAIN.md measures', () => {
    expect(resolveProfile('realistic')).toEqual({ name: 'realistic', firstByteMs: 1500, eventIntervalMs: 25, toolTurns: ['Glob'], seed: 1 });
    expect(() => resolveProfile('glacial')).toThrow('unknown simulator profile "glacial" (known: instant, realistic)');
  });

  it('reads SIM_* from the environment, over a named profile or the fallback', () => {
    expect(profileFromEnv({})).toBeUndefined();
    expect(profileFromEnv({}, 'realistic')).toBe(PROFILES.realistic);
    expect(profileFromEnv({ SIM_PROFILE: 'realistic', SIM_FIRST_BYTE_MS: '200', SIM_EVENT_MS: '5', SIM_TOOL_TURNS: 'Grep, any', SIM_JITTER: '0.1', SIM_SEED: '9' })).toEqual({
      name: 'realistic (changed by SIM_*)', firstByteMs: 200, eventIntervalMs: 5, toolTurns: ['Grep', 'any'], jitter: 0.1, seed: 9,
    });
    expect(profileFromEnv({ SIM_TOOL_TURNS: '' }, 'realistic')?.toolTurns).toEqual([]);
    expect(profileFromEnv({ SIM_FIRST_BYTE_MS: '30' })).toMatchObject({ firstByteMs: 30, eventIntervalMs: 0 });
    expect(() => profileFromEnv({ SIM_JITTER: '2' })).toThrow('SIM_JITTER must be a number from 0 to 1, got "2"');
    expect(() => profileFromEnv({ SIM_TOOL_TURNS: 'Bash' })).toThrow('"Bash" is not one of Glob, Read, Grep, any');
  });

  it('draws the same numbers for the same seed and request, others for another', () => {
    const draw = (seed: number, n: number) => Array.from({ length: 5 }, requestRandom({ ...PROFILES.instant, seed }, n));
    expect(draw(7, 3)).toEqual(draw(7, 3));
    expect(draw(7, 3)).not.toEqual(draw(7, 4));
    expect(draw(7, 3)).not.toEqual(draw(8, 3));
    for (const x of Array.from({ length: 1000 }, seededRandom(1))) expect(x >= 0 && x < 1).toBe(true);
  });

  it('jitters a wait within its share either way, and never a zero wait', () => {
    const random = seededRandom(5);
    const waits = Array.from({ length: 500 }, () => jittered(1000, 0.2, random));
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(800);
    expect(Math.max(...waits)).toBeLessThanOrEqual(1200);
    expect(new Set(waits).size).toBeGreaterThan(50);
    expect(jittered(0, 0.5, random)).toBe(0);
    expect(jittered(25, 0, random)).toBe(25);
  });
});
