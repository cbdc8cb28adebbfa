export { testHelperPlugin, generateTestsInput, generateTestsOutput, generateTestsResult, FRAMEWORKS } from './plugin';
