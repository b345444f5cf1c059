import { Readable } from 'node:stream';
import type { Connection } from 'pg';

/*
 * COPY ... TO STDOUT, read straight off the connection's socket.
 *
 * The server sends one CopyData message ('d', a 4-byte length, the payload) per row. Making a
 * Buffer per row (as pg-copy-streams does) costs an object per row and, over millions of rows,
 * a young generation that grows by tens of megabytes. Here each chunk read from the socket is
 * compacted in place: the payloads are moved left over the 5-byte headers between them, and
 * the front of the chunk is handed on as it is. No copy of the data, no object per row.
 */

const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const COPY_OUT_RESPONSE = 0x48; // 'H'
const ERROR_RESPONSE = 0x45; // 'E'
/** May come between CopyData messages; they are read past (protocol-flow, "COPY Operations"). */
const INTERSPERSED = new Set([0x4e /* N notice */, 0x53 /* S parameter status */, 0x41 /* A notification */]);

/** What one chunk held: the rows' bytes, and where the COPY ended (the rest is the driver's). */
export interface DecodedChunk {
  /** The payload bytes of the chunk's CopyData messages, in order (a view of the chunk). */
  data: Buffer;
  /** Set when the copy is over: the bytes after it (from the ErrorResponse, or after CopyDone). */
  rest?: Buffer;
  /** The copy ended with an ErrorResponse (left in `rest` for the driver to read). */
  failed?: boolean;
}

/**
 * The protocol decoder, apart from any socket: feed it the chunks as they come, in any split.
 * It overwrites each chunk's bytes (payloads moved over headers); the caller must own them.
 */
export class CopyOutDecoder {
  /** The message being read: its code, and how many header or content bytes are still due. */
  private code = -1;
  private lengthBytes = 0;
  private length = 0;
  private remaining = 0;
  private over = false;

  get done(): boolean {
    return this.over;
  }

  decode(chunk: Buffer): DecodedChunk {
    if (this.over) return { data: chunk.subarray(0, 0), rest: chunk };
    let read = 0;
    let write = 0;
    const end = chunk.length;
    while (read < end) {
      if (this.code < 0) {
        const code = chunk[read]!;
        if (code === ERROR_RESPONSE || (code !== COPY_DATA && code !== COPY_DONE && code !== COPY_OUT_RESPONSE && !INTERSPERSED.has(code))) {
          // The driver reads the error (or whatever ended the copy) and settles the query.
          this.over = true;
          return { data: chunk.subarray(0, write), rest: chunk.subarray(read), failed: code === ERROR_RESPONSE };
        }
        this.code = code;
        this.lengthBytes = 4;
        this.length = 0;
        read++;
        continue;
      }
      if (this.lengthBytes > 0) {
        // The length may be split across chunks.
        while (this.lengthBytes > 0 && read < end) {
          this.length = this.length * 256 + chunk[read++]!;
          this.lengthBytes--;
        }
        if (this.lengthBytes > 0) break;
        this.remaining = this.length - 4;
      }
      const take = Math.min(this.remaining, end - read);
      if (this.code === COPY_DATA && take > 0) {
        if (write !== read) chunk.copyWithin(write, read, read + take);
        write += take;
      }
      read += take;
      this.remaining -= take;
      if (this.remaining > 0) break;
      const finished = this.code === COPY_DONE;
      this.code = -1;
      if (finished) {
        this.over = true;
        return { data: chunk.subarray(0, write), rest: chunk.subarray(read) };
      }
    }
    return { data: chunk.subarray(0, write) };
  }
}

/**
 * A `client.query()` submittable that streams a COPY ... TO STDOUT (pg-copy-streams' `to()`
 * contract): it takes the socket's data listener from the driver while the copy runs and
 * gives it back, with the unread bytes, when the copy ends or fails; the driver then reads
 * CommandComplete (rowCount here) or the error (emitted as 'error').
 */
export class CopyOutStream extends Readable {
  rowCount = 0;
  private connection?: Connection & { stream: NodeJS.ReadableStream & { read(): Buffer | null } };
  private driverListener?: (chunk: Buffer) => void;
  private readonly decoder = new CopyOutDecoder();
  private wanted = false;
  private forwarding = false;
  private readonly onReadable = () => this.forward();

  constructor(private readonly text: string) {
    super();
  }

  submit(connection: Connection): void {
    this.connection = connection as typeof this.connection;
    const socket = this.connection!.stream;
    const listeners = socket.listeners('data') as Array<(chunk: Buffer) => void>;
    if (listeners.length !== 1) throw new Error(`COPY TO expects the driver's one data listener on the socket, found ${listeners.length}.`);
    this.driverListener = listeners[0];
    socket.removeListener('data', this.driverListener!);
    socket.pause();
    socket.on('readable', this.onReadable);
    connection.query(this.text);
  }

  override _read(): void {
    this.wanted = true;
    this.forward();
  }

  private forward(): void {
    if (this.forwarding || !this.wanted || !this.connection || this.decoder.done) return;
    this.forwarding = true;
    const socket = this.connection.stream;
    let chunk: Buffer | null;
    while (this.wanted && !this.decoder.done && (chunk = socket.read()) !== null) {
      const { data, rest, failed } = this.decoder.decode(chunk);
      if (data.length > 0) this.wanted = this.push(data);
      if (rest) {
        this.giveBack(rest);
        if (!failed) this.push(null);
      }
    }
    this.forwarding = false;
  }

  /** The driver takes the socket back, starting with the bytes after the copy. */
  private giveBack(rest: Buffer): void {
    const socket = this.connection!.stream;
    socket.removeListener('readable', this.onReadable);
    socket.on('data', this.driverListener!);
    if (rest.length > 0) this.driverListener!(rest);
    // The listener may have paused the socket for its own reasons; resume once it is done.
    process.nextTick(() => socket.resume());
  }

  handleError(error: Error): void {
    this.destroy(error);
  }

  handleCommandComplete(message: { text?: string }): void {
    const match = /COPY (\d+)/.exec(message?.text ?? '');
    if (match) this.rowCount = Number(match[1]);
  }

  handleReadyForQuery(): void {}
}

/** `client.query(copyOut(sql))` streams the rows of a COPY ... TO STDOUT. */
export function copyOut(sql: string): CopyOutStream {
  return new CopyOutStream(sql);
}
