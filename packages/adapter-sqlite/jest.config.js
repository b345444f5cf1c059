module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/adapter-sqlite',
  rootDir: __dirname,
};
