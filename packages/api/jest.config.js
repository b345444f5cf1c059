module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/api',
  rootDir: __dirname,
};
