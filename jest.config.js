// One Jest run over every project: `npm test` (after the build) runs this.
module.exports = {
  projects: [
    '<rootDir>/packages/core',
    '<rootDir>/packages/adapter-sqlite',
    '<rootDir>/packages/adapter-postgres',
    '<rootDir>/packages/api',
    '<rootDir>/apps/cli',
  ],
};
