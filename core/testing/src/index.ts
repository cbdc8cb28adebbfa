export * from './simulator';
export { processesUnder, waitUntil } from './processes';
export { startRedis, type TestRedis } from './redis';
export { startTestRuntime, testKey, type TestRuntime, type TestRuntimeOptions } from './start-test-runtime';
export { FakeClaudeClient, type FakeStep } from './fake-client';
export { postJson } from './http';
export { readEventStream, type ReceivedEvent } from './event-stream-client';
export { SERVER_ENTRY, startServerProcess, type ServerProcess } from './server-process';
export { freePort } from './redis';
