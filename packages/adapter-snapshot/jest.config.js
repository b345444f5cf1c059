module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/adapter-snapshot',
  rootDir: __dirname,
};
