/** Round trips of one PostgreSQL connection (see pg-turns.js). */
export interface TurnCounts {
  /** Start-up and authentication, until the server's first ReadyForQuery (trust: 1, SCRAM: 3). */
  startup: number;
  /** Round trips after authentication. */
  queries: number;
  /** Every round trip of a TLS connection, handshake included (its messages cannot be read). */
  encrypted: number;
}

/** The counts of several connections added up. */
export interface RoundTrips extends TurnCounts {
  connections: number;
}

export interface TurnCounter {
  readonly counts: TurnCounts;
  /** Bytes the client sent, in order. */
  client(chunk: Buffer): void;
  /** Bytes the server sent, in order. */
  server(chunk: Buffer): void;
}

export function createTurnCounter(): TurnCounter;
export function sumTurns(list: TurnCounts[]): RoundTrips;
