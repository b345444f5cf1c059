module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@hesap/adapter-mysql',
  rootDir: __dirname,
};
