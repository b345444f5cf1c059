// The generator's entry point for Nx. Nx prefers a local plugin's TypeScript source when
// it can guess where it is, which needs a TypeScript loader on Node 20; a file at the
// package root has no source to guess, so Nx loads the build through it.
module.exports = require('./dist/adapter/generator');
