module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/tools',
  rootDir: __dirname,
};
