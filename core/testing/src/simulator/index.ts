export { sampleFromSchema } from './sample-from-schema';
export { startSimulator, type Simulator } from './simulator';
export type { RecordedRequest, SimBlock, SimReply } from './types';
