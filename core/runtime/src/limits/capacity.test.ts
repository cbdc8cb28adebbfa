import { parseConfig } from '../config/load-config';
import { cgroupMemoryLeft, deriveCapacity } from './capacity';

const GIB = 1024 ** 3;

describe('deriveCapacity', () => {
  it('bounds calls in flight by memory and starts by CPUs; the pool may keep as many as may be in flight', () => {
    const capacity = deriveCapacity(parseConfig({}), { cpus: 2, freeMemoryBytes: 22 * GIB });
    // (22528 MiB free − 1024 reserved) / 220 MiB per process = 97.7
    expect(capacity).toMatchObject({ inFlight: 97, starting: 2, poolProcesses: 97, derived: { inFlight: true, starting: true, poolProcesses: true } });
    expect(capacity.basis).toEqual({ cpus: 2, freeMemoryMb: 22528, memoryReserveMb: 1024, processMemoryMb: 220 });
  });

  it('follows the configured footprint and reserve, and never derives less than one', () => {
    const config = parseConfig({ admission: { processMemoryMb: 500, memoryReserveMb: 2048 } });
    expect(deriveCapacity(config, { cpus: 8, freeMemoryBytes: 12 * GIB }).inFlight).toBe(Math.floor((12 * 1024 - 2048) / 500));
    expect(deriveCapacity(config, { cpus: 1, freeMemoryBytes: 1 * GIB })).toMatchObject({ inFlight: 1, starting: 1 });
  });

  it('keeps every figure set in config', () => {
    const capacity = deriveCapacity(parseConfig({ admission: { maxConcurrent: 6, maxStarting: 1 }, pool: { maxProcesses: 4 } }), { cpus: 2, freeMemoryBytes: 22 * GIB });
    expect(capacity).toMatchObject({ inFlight: 6, starting: 1, poolProcesses: 4, derived: { inFlight: false, starting: false, poolProcesses: false } });
  });

  it('takes a container memory limit into account (cgroup v2, then v1; no limit is none)', () => {
    const files = (entries: Record<string, string>) => (path: string) => {
      if (!(path in entries)) throw new Error('ENOENT');
      return entries[path] as string;
    };
    expect(cgroupMemoryLeft(files({ '/sys/fs/cgroup/memory.max': `${8 * GIB}\n`, '/sys/fs/cgroup/memory.current': `${1 * GIB}\n` }))).toBe(7 * GIB);
    expect(cgroupMemoryLeft(files({ '/sys/fs/cgroup/memory.max': 'max\n', '/sys/fs/cgroup/memory.current': '0' }))).toBeUndefined();
    expect(cgroupMemoryLeft(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': `${4 * GIB}`, '/sys/fs/cgroup/memory/memory.usage_in_bytes': `${GIB}` }))).toBe(3 * GIB);
    expect(cgroupMemoryLeft(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712', '/sys/fs/cgroup/memory/memory.usage_in_bytes': '1' }))).toBeUndefined();
    expect(cgroupMemoryLeft(files({}))).toBeUndefined();
  });
});
