export { docGeneratorPlugin, generateInput, generateOutput } from './plugin';
