module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/adapter-postgres',
  rootDir: __dirname,
};
