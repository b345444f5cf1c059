'use strict';
// What the JavaScript ORM apps share: the command line, the rows to write, and the JSON they
// print. Values are tagged with the type the ORM handed back ({"$datetime": ...},
// {"$decimal": ...}, {"$json": ...}), so a test sees a datetime that came back as text, a
// boolean that came back as 1, or JSON that came back as a string.
const data = require('../data.json');

const USAGE = 'commands: make-sqlite FILE | make-pg URL | fill TARGET local|production | read-back TARGET --json | insert-new TARGET';

const isPg = (target) => /^postgres(ql)?:\/\//i.test(target);

/** The data file's naive UTC text as a Date (milliseconds: a Date holds no more). */
const utc = (text) => new Date(`${text}Z`);

/** A decimal's exact value with trailing zeros dropped: 12.5 and 12.50 are one amount. */
function decimalText(text) {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/**
 * A value tagged by its JavaScript type. `decimal` says what a decimal column comes back as in
 * this dialect (node-postgres hands numeric over as a string, SQLite as a number); any other
 * representation is printed as it came, so the test shows it.
 */
function canon(value, decimal) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return { $datetime: Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString() };
  if (decimal && typeof value === decimal) return { $decimal: decimalText(String(value)) };
  if (typeof value === 'object' && !Buffer.isBuffer(value)) return { $json: value };
  if (typeof value === 'bigint') return { $bigint: String(value) };
  return value;
}

async function main(app) {
  const args = process.argv.slice(2).filter((a) => a !== '--json');
  const [command, target, setName] = args;
  if (!command || !target) throw new Error(USAGE);
  if (command === 'make-pg' && !isPg(target)) throw new Error('make-pg takes a postgres:// URL');
  let result;
  if (command === 'make-sqlite' || command === 'make-pg') result = await app.make(target);
  else if (command === 'fill') result = await app.write(target, data[setName ?? 'local']);
  else if (command === 'insert-new') result = await app.write(target, data.new);
  else if (command === 'read-back') result = await app.readBack(target);
  else throw new Error(USAGE);
  process.stdout.write(JSON.stringify(result) + '\n');
}

function run(app) {
  main(app).catch((error) => {
    // Sequelize's errors keep the server's message on `original` and out of the stack.
    const cause = error && error.original ? `${error.original.message}\n` : '';
    process.stderr.write(`${error && error.name}: ${error && error.message}\n${cause}${error && error.stack ? error.stack : error}\n`);
    process.exitCode = 1;
  });
}

module.exports = { canon, isPg, run, utc };
