// Three projects: fast tests (unit tests beside the code, plus cross-package contract tests
// with a fake client), end-to-end tests that drive the real `claude` CLI against the
// Messages API simulator, and the fault and abuse suite (real server processes under
// faults and hostile input; docs/reliability.md). `npm test` runs the first two,
// `npm run test:faults` the third; see scripts/test.js.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs', ignoreDynamic: true },
  },
];

const moduleNameMapper = {
  '^@ccp/plugin-api$': '<rootDir>/core/plugin-api/src/index.ts',
  '^@ccp/runtime$': '<rootDir>/core/runtime/src/index.ts',
  '^@ccp/testing$': '<rootDir>/core/testing/src/index.ts',
  '^@ccp/server$': '<rootDir>/apps/server/src/index.ts',
  '^@ccp/plugin-(code-review|doc-generator|test-helper|migration-advisor)$': '<rootDir>/plugins/$1/src/index.ts',
};

const common = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper,
  moduleFileExtensions: ['ts', 'js', 'json'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

module.exports = {
  // End-to-end tests spawn the real CLI; a hung one must still end, but not at 5 s.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/core/*/src/**/*.test.ts', '<rootDir>/apps/*/src/**/*.test.ts', '<rootDir>/plugins/*/src/**/*.test.ts', '<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/test/contract/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/browser/**/*.test.ts', '<rootDir>/test/ops/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      // Empties the results file before the run; prints the table and keeps it in docs/reliability.md after.
      globalSetup: '<rootDir>/test/faults/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/faults/support/global-teardown.ts',
    },
  ],
};
