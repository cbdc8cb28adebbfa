import type { SpareProcess } from '@anthropic-ai/claude-agent-sdk';
import { LogCapture } from '@ccp/testing';
import { parseConfig } from '../../../config/load-config';
import { createLogger } from '../../../logging/logger';
import { Metrics } from '../../../metrics/metrics';
import type { ClaudeRequest } from '../../types';
import { ClaudeProcess } from '../process/child-process';
import { ProcessLauncher, type Spare } from '../process/launcher';
import { SparePool } from './spare-pool';

// The spare pool with a launcher whose spares start only when the test says so: no process runs.

const request = (operation = 'o', over: Partial<ClaudeRequest> = {}): ClaudeRequest => ({
  requestId: 'r', pluginId: 'p', operation, caller: 'alice', systemPrompt: 's', prompt: 'q', files: [{ path: 'a.ts', content: 'x' }],
  tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1000, ...over,
});
const never = () => {
  throw new Error('no process may be started');
};
const pending = <T>() => new Promise<T>(() => undefined);

/** A parked process that is alive until the test says it died. */
class ParkedProcess extends ClaudeProcess {
  dead = false;
  override get alive(): boolean {
    return !this.dead;
  }
}

interface Started {
  readonly template: ClaudeRequest;
  /** The prewarm finishes: the spare (named `name`) is ready. */
  ready(name: string): Spare & { process: ParkedProcess };
  fail(err: Error): void;
}

class ControlledLauncher extends ProcessLauncher {
  readonly started: Started[] = [];
  readonly happened: string[] = [];
  constructor() {
    super({ sdk: { query: never, prewarm: never }, env: {}, workspaceRoot: '/nowhere' });
  }
  private readonly unsettled = new Set<(err: Error) => void>();
  override spare(template: ClaudeRequest): Promise<Spare> {
    return new Promise((resolve, reject) => {
      this.unsettled.add(reject);
      this.started.push({
        template,
        ready: (name) => {
          this.unsettled.delete(reject);
          const sdk: SpareProcess = { claim: never, claimed: pending(), exited: pending(), close: () => undefined, [Symbol.asyncDispose]: async () => undefined };
          const spare = {
            sdk, process: new ParkedProcess(), abortController: new AbortController(), bind: () => undefined,
            // Ending a process takes a while: it is over only a few turns of the event loop later.
            discard: async () => {
              await new Promise((r) => setImmediate(r));
              this.happened.push(`${name} discarded`);
            },
          };
          resolve(spare);
          return spare;
        },
        fail: (err) => {
          this.unsettled.delete(reject);
          reject(err);
        },
      });
    });
  }

  /** Fails every prewarm still under way (the end of a test). */
  failRest(): void {
    for (const reject of this.unsettled) reject(new Error('the test is over'));
    this.unsettled.clear();
  }
}

/** Lets the settled prewarms reach the pool. */
const settle = () => new Promise((r) => setImmediate(r));

function setup(pool: Record<string, unknown> = {}, others = () => 0, reclaim = (): Promise<void> | undefined => undefined) {
  const launcher = new ControlledLauncher();
  const log = new LogCapture();
  const parsed = parseConfig({ pool: { enabled: true, sparesPerOperation: 1, maxProcesses: 4, ...pool } }).pool;
  const settings = { ...parsed, maxProcesses: parsed.maxProcesses ?? 4 };
  const spares = new SparePool(settings, { launcher, logger: createLogger('warn', {}, log), metrics: new Metrics({ defaultMetrics: false }), others, reclaim });
  const shutdown = async () => {
    const closing = spares.close();
    launcher.failRest();
    await closing;
  };
  return { launcher, spares, log, shutdown };
}

describe('SparePool', () => {
  let close: () => Promise<void> = async () => undefined;
  afterEach(async () => {
    await close();
    close = async () => undefined;
  });

  it("learns an operation from its first call and parks a spare for it; take() hands it out and starts its replacement", async () => {
    const { launcher, spares, shutdown } = setup();
    close = shutdown;
    expect(spares.take(request())).toBeUndefined();
    expect(launcher.started).toHaveLength(1);
    expect(launcher.started[0]?.template).toMatchObject({ pluginId: 'p', operation: 'o', caller: undefined, prompt: '', files: [], signal: undefined });
    const first = launcher.started[0]?.ready('first');
    await settle();
    expect(spares.size).toBe(1);
    expect(spares.take(request())).toBe(first);
    expect(launcher.started).toHaveLength(2);
    expect(spares.take(request('other', { session: { id: 's', resume: false } }))).toBeUndefined();
    expect(launcher.started).toHaveLength(2); // a session turn takes no spare and teaches nothing
  });

  it('close() ends the parked spares and waits for those still starting, ending each before it resolves', async () => {
    const { launcher, spares } = setup();
    spares.take(request('a'));
    launcher.started[0]?.ready('parked');
    await settle();
    spares.take(request('b'));
    let closed = false;
    const closing = spares.close().then(() => {
      closed = true;
      launcher.happened.push('closed');
    });
    await settle();
    expect(closed).toBe(false); // b's spare is still starting
    launcher.started[1]?.ready('late');
    await closing;
    expect(launcher.happened).toEqual(['parked discarded', 'late discarded', 'closed']);
    expect(spares.size).toBe(0);
  });

  it("evictOne() ends the oldest parked spare of another operation, and only those", async () => {
    const { launcher, spares, shutdown } = setup();
    close = shutdown;
    const now = jest.spyOn(Date, 'now');
    try {
      spares.take(request('a'));
      spares.take(request('b'));
      now.mockReturnValue(2_000);
      launcher.started[1]?.ready('b');
      await settle();
      now.mockReturnValue(1_000);
      launcher.started[0]?.ready('a');
      await settle();
    } finally {
      now.mockRestore();
    }
    await expect(spares.evictOne(request('c'))).resolves.toBeUndefined(); // a's, the older: a promise of its exit
    expect(spares.evictOne(request('b'))).toBeUndefined(); // only b's is left, and b is asking
    expect(spares.evictOne(request('c'))).toBeInstanceOf(Promise);
    expect(spares.evictOne(request('c'))).toBeUndefined();
    await settle();
    expect(launcher.happened).toEqual(['a discarded', 'b discarded']);
  });

  it('never hands out a spare whose process died while parked; it starts another', async () => {
    const { launcher, spares, shutdown } = setup();
    close = shutdown;
    spares.take(request());
    const dead = launcher.started[0]?.ready('dead');
    await settle();
    if (dead) dead.process.dead = true;
    expect(spares.take(request())).toBeUndefined();
    expect(launcher.started).toHaveLength(2);
    await settle();
    expect(launcher.happened).toEqual(['dead discarded']);
  });

  it('stays within maxProcesses with the other pool processes; a claimed spare may reclaim an idle one for its replacement, started once that one has exited', async () => {
    let live = 0;
    let exit: () => void = () => undefined;
    const reclaim = jest.fn(() => new Promise<void>((resolve) => (exit = resolve)));
    const { launcher, spares, shutdown } = setup({ maxProcesses: 1 }, () => live, reclaim);
    close = shutdown;
    spares.take(request('a'));
    spares.take(request('b'));
    await settle();
    expect(launcher.started.map((s) => s.template.operation)).toEqual(['a']); // no room for b's
    launcher.started[0]?.ready('a');
    await settle();
    live = 1; // the claimed spare now runs as a live process
    expect(spares.take(request('a'))).toBeDefined();
    expect(reclaim).toHaveBeenCalledTimes(1);
    await settle();
    expect(launcher.started).toHaveLength(1); // the reclaimed process has not exited yet
    exit();
    await settle();
    expect(launcher.started.map((s) => s.template.operation)).toEqual(['a', 'a']);
  });

  it('logs a spare that could not be started and parks nothing', async () => {
    const { launcher, spares, log, shutdown } = setup();
    close = shutdown;
    spares.take(request());
    launcher.started[0]?.fail(new Error('prewarm refused'));
    await settle();
    expect(spares.size).toBe(0);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'could not prewarm a spare', plugin: 'p' }));
  });
});
