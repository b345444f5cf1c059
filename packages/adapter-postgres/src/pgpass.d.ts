/** The part of the `pgpass` package hesap uses (it ships no types). */
declare module 'pgpass' {
  import type { Writable } from 'node:stream';
  interface ConnectionInfo {
    host?: string;
    port?: number | string;
    database?: string;
    user?: string;
  }
  function pgpass(info: ConnectionInfo, callback: (password: string | undefined) => void): void;
  namespace pgpass {
    function warnTo(stream: Writable): Writable;
  }
  export = pgpass;
}
