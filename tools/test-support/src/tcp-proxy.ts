import * as net from 'node:net';
import { createTurnCounter, sumTurns, type RoundTrips, type TurnCounts } from './pg-turns';
import { createTestDatabase, type TestDatabase } from './postgres';

export type { RoundTrips, TurnCounts } from './pg-turns';

/**
 * A TCP proxy between hesap and PostgreSQL that a test can break on purpose: cut every
 * connection now or after some bytes, stop relaying (a stall), or take connections and
 * never answer. It runs in the test process, so anything talking through it must not be
 * spawned synchronously (spawnSync blocks the event loop that relays the bytes).
 *
 * It also counts PostgreSQL round trips (see pg-turns.js) and can hold every chunk back
 * for `delayMs` each way, as a long link does.
 */
export interface TcpProxy {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Bytes relayed so far: `up` from the client to the server, `down` back. */
  readonly bytes: { up: number; down: number };
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections open now. */
  readonly open: number;
  /** The URL with its host and port replaced by the proxy's. */
  url(target: string): string;
  /** Cuts every open connection now: `reset` sends RST (ECONNRESET), otherwise FIN (the server hanging up). */
  cutAll(how?: { reset?: boolean }): void;
  /**
   * Cuts every open connection once `n` more bytes (either direction) have been relayed;
   * resolves when it happened. One shot: connections made afterwards are relayed normally.
   */
  cutAfter(n: number, how?: { reset?: boolean }): Promise<void>;
  /**
   * Stops relaying on the connections open now when `match` sees a chunk (client to
   * server) it likes, before that chunk is relayed; resolves when it happened. One shot.
   */
  stallWhen(match: (chunk: Buffer) => boolean): Promise<void>;
  /** Forgets a pending `cutAfter` or `stallWhen` that has not happened. */
  disarm(): void;
  /** Stops relaying on every open connection now (reads stop, so writers block); new connections are relayed normally. */
  stallAll(): void;
  /** Relays again on the stalled connections. */
  resumeAll(): void;
  /**
   * Takes the link down: cuts every open connection (`reset`: RST) and, until `up()`, resets
   * each new one as soon as it is accepted, as a network that dropped does to a client.
   */
  down(how?: { reset?: boolean }): void;
  /** Brings the link back: new connections are relayed again. */
  up(): void;
  /** True between `down()` and `up()`. */
  readonly isDown: boolean;
  /** PostgreSQL round trips of the connections accepted since the start or the last `resetRoundTrips`, added up. */
  roundTrips(): RoundTrips;
  /** The same, one entry per connection, in the order they were accepted. */
  roundTripsPerConnection(): TurnCounts[];
  resetRoundTrips(): void;
  close(): Promise<void>;
}

interface Pair {
  client: net.Socket;
  server: net.Socket;
  stalled: boolean;
  /** Chunks held back while stalled, with the socket they go to. */
  held: Array<[net.Socket, Buffer]>;
  turns: ReturnType<typeof createTurnCounter>;
}

export interface TcpProxyOptions {
  /** Holds every chunk back this long before relaying it, each way (order kept): a round trip costs twice this. */
  delayMs?: number;
}

/** Starts a proxy to `target` (`host:port` or a PostgreSQL URL). */
export async function startTcpProxy(target: string, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const { host, port } = hostAndPort(target);
  const delayMs = options.delayMs ?? 0;
  const pairs = new Set<Pair>();
  let counted: TurnCounts[] = [];
  const bytes = { up: 0, down: 0 };
  let accepted = 0;
  let cut: { left: number; reset: boolean; done: () => void } | undefined;
  let stall: { match: (chunk: Buffer) => boolean; done: () => void } | undefined;
  let linkDown: { reset: boolean } | undefined;

  const end = (pair: Pair, reset: boolean) => {
    pairs.delete(pair);
    for (const s of [pair.client, pair.server]) {
      if (reset) s.resetAndDestroy();
      else s.destroy();
    }
  };
  const cutNow = (reset: boolean) => {
    for (const pair of [...pairs]) end(pair, reset);
  };
  // A stall stops reading on both sockets: the kernel buffers fill and the writers block,
  // as on a network path that stopped carrying packets. A hang-up is not noticed either.
  const stallNow = () => {
    for (const pair of pairs) {
      pair.stalled = true;
      pair.client.pause();
      pair.server.pause();
    }
  };

  const relay = (pair: Pair, from: net.Socket, to: net.Socket, direction: 'up' | 'down') => {
    from.on('data', (chunk: Buffer) => {
      if (!pairs.has(pair)) return;
      if (cut) {
        cut.left -= chunk.length;
        if (cut.left <= 0) {
          const { reset, done } = cut;
          cut = undefined;
          cutNow(reset);
          done();
          return;
        }
      }
      if (stall && direction === 'up' && stall.match(chunk)) {
        const { done } = stall;
        stall = undefined;
        stallNow();
        done();
      }
      pair.turns[direction === 'up' ? 'client' : 'server'](chunk);
      if (pair.stalled) {
        pair.held.push([to, chunk]);
        return;
      }
      bytes[direction] += chunk.length;
      // Held back chunks are written in order: timers of one duration fire in the order they were set.
      if (delayMs > 0) setTimeout(() => to.write(chunk), delayMs);
      else if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!pair.stalled) from.resume();
        });
      }
    });
    from.on('end', () => (delayMs > 0 ? setTimeout(() => to.end(), delayMs) : to.end()));
    from.on('close', () => {
      if (pairs.has(pair)) end(pair, false);
    });
    from.on('error', () => undefined);
  };

  const server = net.createServer((client) => {
    accepted++;
    if (linkDown) {
      client.on('error', () => undefined);
      if (linkDown.reset) client.resetAndDestroy();
      else client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    const pair: Pair = { client, server: upstream, stalled: false, held: [], turns: createTurnCounter() };
    pairs.add(pair);
    counted.push(pair.turns.counts);
    relay(pair, client, upstream, 'up');
    relay(pair, upstream, client, 'down');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const listening = (server.address() as net.AddressInfo).port;

  return {
    port: listening,
    bytes,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    url: (url: string) => withHostPort(url, '127.0.0.1', listening),
    cutAll: (how = {}) => cutNow(how.reset ?? false),
    cutAfter: (n, how = {}) => new Promise<void>((done) => (cut = { left: n, reset: how.reset ?? false, done })),
    stallWhen: (match) => new Promise<void>((done) => (stall = { match, done })),
    disarm: () => {
      cut = undefined;
      stall = undefined;
    },
    stallAll: stallNow,
    resumeAll: () => {
      for (const pair of pairs) {
        if (!pair.stalled) continue;
        pair.stalled = false;
        for (const [to, chunk] of pair.held.splice(0)) to.write(chunk);
        pair.client.resume();
        pair.server.resume();
      }
    },
    down: (how = {}) => {
      linkDown = { reset: how.reset ?? false };
      cutNow(linkDown.reset);
    },
    up: () => {
      linkDown = undefined;
    },
    get isDown() {
      return linkDown !== undefined;
    },
    roundTrips: () => sumTurns(counted),
    roundTripsPerConnection: () => counted.map((c) => ({ ...c })),
    resetRoundTrips: () => {
      counted = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        cutNow(false);
        server.close(() => resolve());
      }),
  };
}

/**
 * A server that accepts TCP connections and never sends a byte: what a firewall that
 * drops packets, or a hung server, looks like to a client waiting for the handshake.
 */
export async function startSilentServer(): Promise<{ port: number; url(target: string): string; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    url: (target) => withHostPort(target, '127.0.0.1', port),
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function hostAndPort(target: string): { host: string; port: number } {
  if (target.includes('://')) {
    const u = new URL(target);
    return { host: u.hostname || '127.0.0.1', port: Number(u.port || 5432) };
  }
  const [host, port] = target.split(':');
  return { host: host || '127.0.0.1', port: Number(port || 5432) };
}

/** The URL with another host and port, everything else kept. */
export function withHostPort(url: string, host: string, port: number): string {
  const u = new URL(url);
  u.hostname = host;
  u.port = String(port);
  return u.toString();
}

/** A new test database on the shared server, reached through its own proxy. */
export interface ProxiedTestDatabase {
  pg: TestDatabase;
  proxy: TcpProxy;
  /** The database's URL through the proxy. */
  remote: string;
  /** Closes the proxy and drops the database. */
  drop(): Promise<void>;
}

export async function createProxiedTestDatabase(label: string, options: TcpProxyOptions = {}): Promise<ProxiedTestDatabase> {
  const pg = await createTestDatabase(label);
  const proxy = await startTcpProxy(pg.url, options);
  return {
    pg,
    proxy,
    remote: proxy.url(pg.url),
    drop: async () => {
      await proxy.close();
      await pg.drop();
    },
  };
}
