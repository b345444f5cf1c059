#!/usr/bin/env node
// The end-to-end demo (`npm start` from the repository root). Runs the compiled code in ../dist (build with `npm run build`).
require('../dist/main.js')
  .main(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      // Only a usage error gets here (an unknown flag): the run itself reports its own failures.
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\nRun with --help for the flags.\n`);
      process.exitCode = 2;
    },
  );
