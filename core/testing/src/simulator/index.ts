export { sampleFromSchema } from './sample-from-schema';
export { PROFILES, profileFromEnv, READ_TOOLS, resolveProfile, type LatencyProfile, type ProfileName, type ReadTool } from './profile';
export { startSimulator, type Simulator, type SimulatorOptions } from './simulator';
export type { RecordedRequest, SimBlock, SimReply } from './types';
