module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/demo',
  rootDir: __dirname,
};
