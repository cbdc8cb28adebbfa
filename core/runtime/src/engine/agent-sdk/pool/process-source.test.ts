import type { SDKMessage } from '@anthropic-ai/claude-agent-sdk';
import { LogCapture } from '@ccp/testing';
import { parseConfig } from '../../../config/load-config';
import { createLogger } from '../../../logging/logger';
import { Metrics } from '../../../metrics/metrics';
import type { ClaudeRequest } from '../../types';
import { ClaudeProcess } from '../process/child-process';
import { ProcessLauncher, type OneOffQuery } from '../process/launcher';
import type { Workspace } from '../process/workspace';
import { LivePool } from './live-pool';
import { Inbox, LiveQuery } from './live-query';
import { OneOffSource, PooledSource, type Attempt, type ProcessSource } from './process-source';

// The sources with a launcher and a pool that start no process: what is recorded is what
// the source asks of them.

const request: ClaudeRequest = { requestId: 'r', pluginId: 'p', operation: 'o', caller: 'alice', systemPrompt: 's', prompt: 'q', files: [], tools: { allow: ['Read'], mode: 'dontAsk' }, timeoutMs: 1000 };
const never = () => {
  throw new Error('no process may be started');
};

/** Everything the test did to processes and workspaces, in order. */
let happened: string[] = [];
beforeEach(() => (happened = []));

class RecordingProcess extends ClaudeProcess {
  override async ensureExited(): Promise<void> {
    happened.push('process ended');
  }
}

function workspace(remove: () => Promise<void> = async () => void happened.push('workspace removed')): Workspace {
  return { dir: '/nowhere/work', configDir: '/nowhere/config', changedFiles: async () => [], reset: async () => undefined, remove };
}

class FakeLauncher extends ProcessLauncher {
  readonly controllers: AbortController[] = [];
  constructor(private readonly ws: Workspace = workspace()) {
    super({ sdk: { query: never, prewarm: never }, env: {}, workspaceRoot: '/nowhere' });
  }
  override async oneOff(_request: ClaudeRequest, abortController: AbortController): Promise<OneOffQuery> {
    this.controllers.push(abortController);
    return { messages: (async function* (): AsyncGenerator<SDKMessage> {})(), workspace: this.ws, process: new RecordingProcess() };
  }
}

/** A pool that leases what it is given and records what comes back. */
class ScriptedPool extends LivePool {
  leased: LiveQuery | undefined;
  readonly released: boolean[] = [];
  releaseDone: Promise<void> = Promise.resolve();
  constructor() {
    super({ ...parseConfig({ pool: { enabled: true, sparesPerOperation: 0 } }).pool, maxProcesses: 4 }, { launcher: new FakeLauncher(), logger: createLogger('silent'), metrics: new Metrics({ defaultMetrics: false }) });
  }
  override async lease(): Promise<LiveQuery | undefined> {
    return this.leased;
  }
  override release(_live: LiveQuery, clean: boolean): Promise<void> {
    this.released.push(clean);
    return this.releaseDone;
  }
}

const liveQuery = () => new LiveQuery('k', new Inbox(), new RecordingProcess(), new AbortController(), workspace());

describe('OneOffSource', () => {
  it('runs the call in a new process and workspace, and ends the process, then removes the workspace', async () => {
    const launcher = new FakeLauncher();
    const controller = new AbortController();
    const attempt = await new OneOffSource(launcher, createLogger('silent')).acquire(request, controller);
    expect(attempt.pooled).toBe(false);
    expect(launcher.controllers).toEqual([controller]); // aborting the attempt stops its query
    await attempt.end(true);
    expect(happened).toEqual(['process ended', 'workspace removed']);
  });

  it('logs a workspace it could not remove, and still ends', async () => {
    const log = new LogCapture();
    const launcher = new FakeLauncher(workspace(() => Promise.reject(new Error('EBUSY'))));
    const attempt = await new OneOffSource(launcher, createLogger('warn', {}, log)).acquire(request, new AbortController());
    await attempt.end(false);
    expect(log.lines).toContainEqual(expect.objectContaining({ msg: 'could not remove a query workspace', requestId: 'r' }));
  });
});

describe('PooledSource', () => {
  let pool: ScriptedPool;
  beforeEach(() => (pool = new ScriptedPool()));
  afterEach(() => pool.close());

  const oneOffSpy = () => {
    const given: Attempt[] = [];
    const source: ProcessSource = {
      acquire: async (r, c) => {
        const a = await new OneOffSource(new FakeLauncher(), createLogger('silent')).acquire(r, c);
        given.push(a);
        return a;
      },
      close: async () => undefined,
    };
    return { source, given };
  };

  it('runs the call one-off when the pool has no process for it', async () => {
    const { source, given } = oneOffSpy();
    const attempt = await new PooledSource(pool, source).acquire(request, new AbortController());
    expect(given).toEqual([attempt]);
    expect(attempt.pooled).toBe(false);
  });

  it("runs the call in the pool's process; aborting the attempt stops that process's query", async () => {
    const live = liveQuery();
    pool.leased = live;
    const controller = new AbortController();
    const attempt = await new PooledSource(pool, oneOffSpy().source).acquire(request, controller);
    expect(attempt).toMatchObject({ pooled: true, process: live.process, workspace: live.workspace });
    expect(live.abortController.signal.aborted).toBe(false);
    controller.abort();
    expect(live.abortController.signal.aborted).toBe(true);
  });

  it('stops the process at once for an attempt aborted before it was leased', async () => {
    pool.leased = liveQuery();
    const controller = new AbortController();
    controller.abort();
    await new PooledSource(pool, oneOffSpy().source).acquire(request, controller);
    expect(pool.leased.abortController.signal.aborted).toBe(true);
  });

  it('hands the process back when the call ends: waits for a failed one to be ended, not for a clean one to be cleared', async () => {
    let cleared = () => undefined as void;
    pool.releaseDone = new Promise<void>((resolve) => (cleared = resolve));
    const source = new PooledSource(pool, oneOffSpy().source);
    const ends: string[] = [];

    pool.leased = liveQuery();
    const clean = await source.acquire(request, new AbortController());
    await clean.end(true).then(() => ends.push('clean'));
    expect(ends).toEqual(['clean']); // the clearing runs on in the background

    pool.leased = liveQuery();
    const controller = new AbortController();
    const failed = await source.acquire(request, controller);
    const ending = failed.end(false).then(() => ends.push('failed'));
    await Promise.resolve();
    expect(ends).toEqual(['clean']);
    cleared();
    await ending;
    expect(pool.released).toEqual([true, false]);

    controller.abort(); // after the end, the caller's abort no longer reaches the process
    expect(pool.leased.abortController.signal.aborted).toBe(false);
  });
});
