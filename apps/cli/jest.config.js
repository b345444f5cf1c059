module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'hesap',
  rootDir: __dirname,
};
