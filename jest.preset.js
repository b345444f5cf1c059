// Shared Jest settings for every project in the workspace. Tests run the TypeScript
// sources directly (ts-jest, transpile only; `npm run build` type-checks), and
// `@hesap/*` imports resolve to the sources of the sibling packages.
const path = require('node:path');

const root = __dirname;
const workspaceSources = {
  '^@hesap/core/testing$': path.join(root, 'packages/core/src/testing/index.ts'),
  '^@hesap/core$': path.join(root, 'packages/core/src/index.ts'),
  '^@hesap/adapter-sqlite$': path.join(root, 'packages/adapter-sqlite/src/index.ts'),
  '^@hesap/adapter-postgres$': path.join(root, 'packages/adapter-postgres/src/index.ts'),
  '^@hesap/adapter-snapshot$': path.join(root, 'packages/adapter-snapshot/src/index.ts'),
  '^@hesap/adapter-mysql$': path.join(root, 'packages/adapter-mysql/src/index.ts'),
  '^@hesap/api$': path.join(root, 'packages/api/src/index.ts'),
  '^@hesap/test-support$': path.join(root, 'tools/test-support/src/index.ts'),
};

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(root, 'tsconfig.jest.json') }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: workspaceSources,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  globalSetup: path.join(root, 'tools/test-support/jest-global-setup.js'),
  globalTeardown: path.join(root, 'tools/test-support/jest-global-teardown.js'),
  testTimeout: 60000,
};
