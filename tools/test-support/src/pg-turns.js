'use strict';
/**
 * Counts the round trips of one PostgreSQL connection from the bytes relayed each way: a
 * round trip is a client message sent after the server answered (the client had to wait
 * for that answer). Plain CommonJS with its types beside it (pg-turns.d.ts), so the
 * benchmark (plain Node, no build) and the tests share it.
 *
 * The count is made on protocol messages, not on the chunks TCP happens to deliver: a
 * message split over two reads, or two messages in one read, count the same. Messages the
 * server sends on its own (NoticeResponse, NotificationResponse, ParameterStatus) are not
 * answers, and the client's Terminate waits for nothing, so neither makes a round trip.
 *
 * Connection start-up (SSLRequest, StartupMessage, authentication: trust is 1, SCRAM is
 * 3) is counted until the server's first ReadyForQuery, apart from the rest. Over TLS the
 * messages cannot be read: every turn of such a connection (handshake included) is counted
 * by direction change as `encrypted`.
 */

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
/** Server messages that answer nothing. */
const UNSOLICITED = new Set(['N', 'A', 'S']);

/**
 * Reads message starts from one direction's bytes: typed messages (type byte, length) or,
 * while `untyped` is set, the client's start-up messages (length, code). `single` reads the
 * server's one-byte answer to an SSLRequest or GSSENCRequest.
 */
function framer(onTyped, onUntyped, onSingle) {
  let head = Buffer.alloc(0);
  let skip = 0;
  const state = { untyped: false, single: false };
  state.feed = (chunk) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      if (state.single) {
        state.single = false;
        const rest = onSingle(String.fromCharCode(chunk[i++]));
        if (rest === 'stop') return;
        continue;
      }
      const want = state.untyped ? 8 : 5;
      const take = Math.min(want - head.length, chunk.length - i);
      head = Buffer.concat([head, chunk.subarray(i, i + take)]);
      i += take;
      if (head.length < want) return;
      if (state.untyped) {
        skip = head.readInt32BE(0) - 8;
        onUntyped(head.readInt32BE(4));
      } else {
        skip = head.readInt32BE(1) - 4;
        onTyped(String.fromCharCode(head[0]));
      }
      head = Buffer.alloc(0);
    }
  };
  return state;
}

/** A counter for one connection: feed it what the client sent and what the server sent, in order. */
function createTurnCounter() {
  const counts = { startup: 0, queries: 0, encrypted: 0 };
  let started = false;
  let encrypted = false;
  // A connection begins with the client's turn.
  let answered = true;
  const clientTurn = () => {
    if (!answered) return;
    answered = false;
    counts[started ? 'queries' : 'startup']++;
  };
  const up = framer(
    (type) => {
      if (type !== 'X') clientTurn();
    },
    (code) => {
      clientTurn();
      // An SSLRequest or GSSENCRequest: the server answers with one byte, the client's next message is untyped again.
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) down.single = true;
      else up.untyped = false;
    },
  );
  const down = framer(
    (type) => {
      if (UNSOLICITED.has(type)) return;
      answered = true;
      if (type === 'Z') started = true;
    },
    () => undefined,
    (answer) => {
      answered = true;
      if (answer !== 'S' && answer !== 'G') return undefined;
      encrypted = true;
      counts.encrypted = counts.startup;
      counts.startup = 0;
      return 'stop';
    },
  );
  up.untyped = true;
  return {
    counts,
    client(chunk) {
      if (!encrypted) return up.feed(chunk);
      if (answered) counts.encrypted++;
      answered = false;
    },
    server(chunk) {
      if (!encrypted) return down.feed(chunk);
      answered = true;
    },
  };
}

/** The counts of several connections added up, with how many connections there were. */
function sumTurns(list) {
  const total = { connections: list.length, startup: 0, queries: 0, encrypted: 0 };
  for (const c of list) {
    total.startup += c.startup;
    total.queries += c.queries;
    total.encrypted += c.encrypted;
  }
  return total;
}

module.exports = { createTurnCounter, sumTurns };
