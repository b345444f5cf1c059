'use strict';
/**
 * A loopback proxy in front of PostgreSQL that plays a long link: every chunk is held back
 * `delayMs` each way (order kept), and each connection's round trips are counted from its
 * protocol messages (tools/test-support/src/pg-turns.js, the counter the tests use), with
 * the bytes relayed each way (`--incremental` weighs what a push sends with them).
 */
const net = require('node:net');
const { createTurnCounter, sumTurns } = require('../test-support/src/pg-turns');

async function startWanProxy(targetUrl, delayMs) {
  const u = new URL(targetUrl);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 5432);
  let counted = [];
  let bytes = { up: 0, down: 0 };
  const sockets = new Set();
  const later = (fn) => (delayMs > 0 ? setTimeout(fn, delayMs) : fn());
  const pipe = (from, to, feed) => {
    from.on('data', (chunk) => {
      feed(chunk);
      later(() => to.write(chunk));
    });
    from.on('end', () => later(() => to.end()));
    from.on('close', () => to.destroy());
    from.on('error', () => undefined);
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const turns = createTurnCounter();
    counted.push(turns.counts);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipe(client, upstream, (c) => {
      bytes.up += c.length;
      turns.client(c);
    });
    pipe(upstream, client, (c) => {
      bytes.down += c.length;
      turns.server(c);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const listening = server.address().port;
  return {
    /** The URL with the proxy's host and port. */
    url(target) {
      const t = new URL(target);
      t.hostname = '127.0.0.1';
      t.port = String(listening);
      return t.toString();
    },
    /**
     * Round trips of the connections since the last call, added up, with the bytes relayed
     * (`bytesUp` from the client to the server, `bytesDown` back); starts counting afresh.
     */
    take() {
      const total = { ...sumTurns(counted), bytesUp: bytes.up, bytesDown: bytes.down };
      counted = [];
      bytes = { up: 0, down: 0 };
      return total;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

module.exports = { startWanProxy };
