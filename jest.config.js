// One Jest run over every project: `npm test` (after the build) runs this.
module.exports = {
  // Integration tests move real data through real servers; a test that hangs still fails.
  testTimeout: 120000,
  projects: [
    '<rootDir>/packages/core',
    '<rootDir>/packages/adapter-sqlite',
    '<rootDir>/packages/adapter-postgres',
    '<rootDir>/packages/adapter-snapshot',
    '<rootDir>/packages/adapter-mysql',
    '<rootDir>/packages/api',
    '<rootDir>/apps/cli',
    '<rootDir>/apps/demo',
    '<rootDir>/tools/generators',
    '<rootDir>/tools/package',
  ],
};
