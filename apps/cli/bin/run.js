#!/usr/bin/env node
// The hesap command. Runs the compiled commands in ../dist (build with `npm run build`).
const oclif = require('@oclif/core');

// Always the compiled code: with NODE_ENV=development or test (an app's usual shell) oclif
// would otherwise look for TypeScript sources and warn that it cannot find them.
oclif.settings.enableAutoTranspile = false;
oclif.execute({ dir: __dirname }).catch(require('@oclif/core/handle'));
