#!/usr/bin/env node
// The hesap command. Runs the compiled commands in ../dist (build with `npm run build`).
require('@oclif/core')
  .execute({ dir: __dirname })
  .catch(require('@oclif/core/handle'));
