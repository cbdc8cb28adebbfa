export { migrationAdvisorPlugin, assessInput, assessOutput } from './plugin';
