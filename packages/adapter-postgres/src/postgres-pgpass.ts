import { Writable } from 'node:stream';
import pgpass from 'pgpass';
import type { PostgresLocation } from './postgres-location';

/**
 * The password `.pgpass` (or the file PGPASSFILE names) holds for this host, port,
 * database and user, as libpq reads it, through the `pgpass` package. Asked by hesap itself:
 * node-postgres' own look-up prints a deprecation warning. The package's warnings (a file
 * others can read) go to `warn` instead of stderr.
 */
export function lookupPgpass(location: PostgresLocation, warn: (message: string) => void): Promise<string | undefined> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      warn(String(chunk).trim());
      done();
    },
  });
  const previous = pgpass.warnTo(sink);
  return new Promise<string | undefined>((resolve) => {
    pgpass({ host: location.host, port: location.port, database: location.database, user: location.user }, (password) => {
      pgpass.warnTo(previous);
      resolve(password);
    });
  });
}
