module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/core',
  rootDir: __dirname,
};
