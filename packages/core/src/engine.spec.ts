import { PassThrough, Readable, Writable } from 'node:stream';
import { DEFAULT_CAPABILITIES, DEFAULT_POLICIES, type LoadPlan, type SourceSession, type TablePlan, type TargetSession } from './contract';
import { transfer } from './engine';
import { HesapError } from './errors';
import type { Schema, Table } from './schema';

/**
 * The engine against in-memory sessions that follow the contract: what it does with
 * streams, progress, row counts, stalls and failures, independent of any database.
 */

const table: Table = {
  name: 't',
  columns: [{ name: 'v', type: 'text', declaredType: 'TEXT', nullable: true }],
  uniques: [],
  foreignKeys: [],
  indexes: [],
};
const schema: Schema = { dialect: 'memory', tables: [table], views: [], notes: [] };

function source(stream: () => Readable, rows: number): SourceSession {
  return {
    introspect: async () => schema,
    countRows: async () => rows,
    readTable: () => stream(),
    close: async () => undefined,
  };
}

class MemoryTarget implements TargetSession {
  received = '';
  aborted = false;
  committed = false;
  begun?: LoadPlan;
  introspect = async () => ({ dialect: 'memory', tables: [], views: [], notes: [] });
  begin = async (plan: LoadPlan) => {
    this.begun = plan;
  };
  writeTable(_plan: TablePlan) {
    const chunks: Buffer[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _e, cb) => {
        chunks.push(chunk);
        cb();
      },
    });
    return {
      stream,
      complete: async () => {
        this.received = Buffer.concat(chunks).toString();
        const n = this.received.split('\n').length - 1;
        return { table: 't', received: n, inserted: n, updated: 0, unchanged: 0, remapped: 0, skipped: [] };
      },
    };
  }
  finish = async () => {
    this.committed = true;
    return { notes: [] };
  };
  abort = async () => {
    this.aborted = true;
  };
  close = async () => undefined;
}

const capabilities = { ...DEFAULT_CAPABILITIES, source: true, target: true };
/** What the API resolves for every transfer; the engine takes them as given. */
const settled = { mode: 'create', policies: DEFAULT_POLICIES, dryRun: false, strict: false, progressIntervalMs: 200, idleTimeoutSeconds: 60 } as const;

describe('transfer', () => {
  it('moves the CSV, reports progress with totals, and commits', async () => {
    const target = new MemoryTarget();
    const events: string[] = [];
    const report = await transfer({
      source: source(() => Readable.from([Buffer.from('"a"\n"b"\n'), Buffer.from(',\n')]), 3),
      target,
      targetCapabilities: capabilities,
      ...settled,
      onProgress: (e) => events.push(`${e.phase}:${e.rowsDone}/${e.rowsTotal}`),
      progressIntervalMs: 0,
    });
    expect(target.received).toBe('"a"\n"b"\n,\n');
    expect(target.committed).toBe(true);
    expect(report.tables[0]).toMatchObject({ table: 't', received: 3, bytes: 10, action: 'create' });
    expect(events[0]).toBe('start:0/3');
    expect(events[events.length - 1]).toBe('done:3/3');
  });

  it('refuses a merge without merge settings before it touches the target, rather than inventing a source id', async () => {
    const target = new MemoryTarget();
    const merging = { ...capabilities, mergeModes: ['merge'] as const };
    const error = await transfer({ source: source(() => Readable.from([]), 0), target, targetCapabilities: merging, ...settled, mode: 'merge' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/merge settings/) });
    expect(target.begun).toBeUndefined();
  });

  it('refuses to commit when fewer rows arrived than the source holds', async () => {
    const target = new MemoryTarget();
    const error = await transfer({ source: source(() => Readable.from([Buffer.from('"a"\n')]), 2), target, targetCapabilities: capabilities, ...settled }).catch((e) => e);
    expect(error).toBeInstanceOf(HesapError);
    expect(error.message).toMatch(/holds 2 rows but 1 arrived/);
    expect(target.committed).toBe(false);
    expect(target.aborted).toBe(true);
  });

  it('gives up a stalled stream after the idle timeout, as a retriable timeout naming the table', async () => {
    const target = new MemoryTarget();
    const stalled = new PassThrough();
    stalled.write('"first"\n');
    const started = Date.now();
    const error = await transfer({ source: source(() => stalled, 10), target, targetCapabilities: capabilities, ...settled, idleTimeoutSeconds: 0.3 }).catch((e) => e);
    expect(error).toBeInstanceOf(HesapError);
    expect(error).toMatchObject({ code: 'CONNECTION_TIMEOUT', table: 't', retriable: true });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(target.aborted).toBe(true);
    expect(stalled.destroyed).toBe(true);
  });

  it('an abort signal stops the table in flight and rolls back, as INTERRUPTED', async () => {
    const target = new MemoryTarget();
    const endless = new PassThrough();
    endless.write('"x"\n');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('SIGINT received')), 50);
    const error = await transfer({ source: source(() => endless, 10), target, targetCapabilities: capabilities, ...settled, signal: controller.signal }).catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERRUPTED' });
    expect(error.message).toMatch(/SIGINT/);
    expect(target.aborted).toBe(true);
    expect(target.committed).toBe(false);
  });
});
