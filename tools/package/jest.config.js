module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'package',
  rootDir: __dirname,
};
