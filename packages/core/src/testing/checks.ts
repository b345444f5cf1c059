import { pipeline } from 'node:stream/promises';
import { canonicalField } from '../checksum';
import type { Adapter, OpenOptions, SourceSession, TargetSession } from '../contract';
import { DEFAULT_POLICIES, resolvePolicies } from '../contract';
import { encodeRow } from '../csv/csv-encoder';
import { CsvParser, parseCsv, type CsvRow } from '../csv/csv-parser';
import { transfer } from '../engine';
import { HesapError } from '../errors';
import { planLoad } from '../planner';
import { findTable, type Table } from '../schema';
import { FixtureSource } from './fixture-source';
import { fixtureTable, type Fixture } from './fixtures';

/**
 * The checks of the conformance kit, as plain async functions that return the problems
 * they found (an empty list when the adapter conforms). `runAdapterConformance` wraps
 * each in a Jest test; a test of the kit itself calls them on a broken adapter and
 * expects problems.
 */

/** A place an adapter can read and write, made fresh for one check. */
export interface ConformanceLocation {
  /** What `openSource`/`openTarget` take: a file path, a URL. */
  location: string;
  /** Removes what the check left there. */
  cleanup: () => Promise<void> | void;
}

/** An adapter under test, or a peer that rows travel through. */
export interface ConformanceSubject {
  /** For test titles: `mysql`, `postgres`. */
  name: string;
  adapter: Adapter;
  /** A new, empty location (an empty database, a path where no file is yet). */
  newLocation: () => Promise<ConformanceLocation>;
  /** Passed to `openSource` and `openTarget`. */
  openOptions?: OpenOptions;
}

/** What came back from an adapter: each table as introspected, with its rows as CSV fields. */
interface ReadBack {
  table: Table;
  rows: CsvRow[];
}

/** How many differing rows a problem lists. */
const SHOWN = 3;

async function closeQuietly(session: SourceSession | TargetSession | undefined): Promise<void> {
  await session?.close().catch(() => undefined);
}

/** Moves every table from `source` into `subject` at `location` with the engine, as `hesap db copy` does. */
async function load(subject: ConformanceSubject, location: string, source: SourceSession, options: { dryRun?: boolean } = {}): Promise<void> {
  let target: TargetSession | undefined;
  try {
    target = await subject.adapter.openTarget(location, subject.openOptions);
    await transfer({
      source,
      target,
      targetCapabilities: subject.adapter.capabilities,
      mode: 'create',
      policies: DEFAULT_POLICIES,
      dryRun: options.dryRun ?? false,
      strict: false,
      progressIntervalMs: 200,
      idleTimeoutSeconds: 30,
    });
  } finally {
    await closeQuietly(target);
    await closeQuietly(source);
  }
}

/** Reads the named tables back through the subject's own source role; a missing table is absent from the map. */
async function readBack(subject: ConformanceSubject, location: string, names: readonly string[]): Promise<Map<string, ReadBack>> {
  const out = new Map<string, ReadBack>();
  let source: SourceSession | undefined;
  try {
    source = await subject.adapter.openSource(location, subject.openOptions);
    const schema = await source.introspect({ profile: true });
    for (const name of names) {
      const table = findTable(schema, name);
      if (!table) continue;
      const rows: CsvRow[] = [];
      const parser = new CsvParser((row) => rows.push(row));
      await pipeline(source.readTable(table), async (chunks: AsyncIterable<Buffer>) => {
        for await (const chunk of chunks) parser.write(chunk);
        parser.end();
      });
      out.set(name, { table, rows });
    }
  } finally {
    await closeQuietly(source);
  }
  return out;
}

/** The tables a location holds, or none when it cannot even be opened (a file never written). */
async function tablesAt(subject: ConformanceSubject, location: string): Promise<string[]> {
  let source: SourceSession | undefined;
  try {
    source = await subject.adapter.openSource(location, subject.openOptions);
    return (await source.introspect({ profile: false })).tables.map((t) => t.name);
  } catch (error) {
    if (error instanceof HesapError) return [];
    throw error;
  } finally {
    await closeQuietly(source);
  }
}

/** A failure the fixture allows: a HesapError other than INTERNAL (which is what an unexplained driver error becomes). */
function refusal(fixture: Fixture, error: unknown): HesapError | undefined {
  return fixture.mayRefuse && error instanceof HesapError && error.code !== 'INTERNAL' ? error : undefined;
}

function describeError(error: unknown): string {
  if (error instanceof HesapError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

const show = (fields: readonly string[]) => JSON.stringify(fields.map((f) => (f === '\u0000N' ? null : f)));

/** Differences between the fixture's rows and the rows read back, compared as canonical values under the fixture's types. */
export function rowProblems(expected: Fixture['tables'][number], actual: ReadBack): string[] {
  const name = expected.table.name;
  const columns = expected.table.columns;
  const positions = columns.map((c) => actual.table.columns.findIndex((a) => a.name === c.name));
  const missingColumns = columns.filter((_, i) => positions[i]! < 0).map((c) => c.name);
  if (missingColumns.length > 0) return [`table "${name}": column(s) ${missingColumns.map((c) => `"${c}"`).join(', ')} missing`];
  const types = columns.map((c) => c.type);
  const canonical = (row: CsvRow, at: (i: number) => number) => types.map((type, i) => canonicalField(row[at(i)] ?? null, type));
  const want = expected.rows.map((values) => canonical(parseCsv(encodeRow(values, types))[0] ?? [], (i) => i));
  const got = actual.rows.map((row) => canonical(row, (i) => positions[i]!));
  const problems: string[] = [];
  if (got.length !== want.length) problems.push(`table "${name}": ${want.length} rows written, ${got.length} read back`);
  const counts = new Map<string, number>();
  for (const row of got) counts.set(row.join('\u0001'), (counts.get(row.join('\u0001')) ?? 0) + 1);
  const missing: string[][] = [];
  for (const row of want) {
    const key = row.join('\u0001');
    const n = counts.get(key) ?? 0;
    if (n > 0) counts.set(key, n - 1);
    else missing.push(row);
  }
  const extra = [...counts.entries()].filter(([, n]) => n > 0).map(([key]) => key.split('\u0001'));
  if (missing.length > 0) {
    problems.push(`table "${name}": ${missing.length} row(s) not read back as written, e.g. ${missing.slice(0, SHOWN).map(show).join(', ')}`);
  }
  if (extra.length > 0) {
    problems.push(`table "${name}": ${extra.length} row(s) read back that were not written, e.g. ${extra.slice(0, SHOWN).map(show).join(', ')}`);
  }
  return problems;
}

const list = (columns: readonly string[] | undefined) => (columns ?? []).join(', ');
const sortedSet = (items: string[]) => [...items].sort();

/** Keys, indexes and foreign keys that did not survive, compared by columns (names of constraints may change). */
export function keyProblems(expected: Table, actual: Table, rows: Fixture['tables'][number]['rows']): string[] {
  const name = expected.name;
  const problems: string[] = [];
  const names = actual.columns.map((c) => c.name);
  const wantNames = expected.columns.map((c) => c.name);
  if (names.join('\u0000') !== wantNames.join('\u0000')) {
    problems.push(`table "${name}": columns are [${names.join(', ')}], expected [${wantNames.join(', ')}]`);
  }
  const pk = actual.primaryKey?.columns ?? actual.declaredPrimaryKey;
  if (list(pk) !== list(expected.primaryKey?.columns)) problems.push(`table "${name}": primary key is (${list(pk)}), expected (${list(expected.primaryKey?.columns)})`);
  const uniques = (t: Table) => sortedSet([...t.uniques.map((u) => list(u.columns)), ...t.indexes.filter((i) => i.unique).map((i) => list(i.columns))]);
  const plain = (t: Table) => sortedSet(t.indexes.filter((i) => !i.unique).map((i) => list(i.columns)));
  const foreign = (t: Table) =>
    sortedSet(t.foreignKeys.map((fk) => `(${list(fk.columns)}) -> "${fk.references.table}"(${list(fk.references.columns)}) on delete ${fk.onDelete} on update ${fk.onUpdate}`));
  for (const [what, of] of [
    ['unique keys', uniques],
    ['indexes', plain],
    ['foreign keys', foreign],
  ] as const) {
    const got = of(actual);
    const want = of(expected);
    if (got.join('\n') !== want.join('\n')) problems.push(`table "${name}": ${what} are [${got.join('; ')}], expected [${want.join('; ')}]`);
  }
  for (const column of expected.columns) {
    const found = actual.columns.find((c) => c.name === column.name);
    if (found && !column.nullable && found.nullable) problems.push(`table "${name}": column "${column.name}" lost NOT NULL`);
  }
  const sequence = expected.sequence;
  if (sequence) {
    if (actual.sequence?.column !== sequence.column) {
      problems.push(`table "${name}": the generated key "${sequence.column}" is no longer generated`);
    } else {
      const index = expected.columns.findIndex((c) => c.name === sequence.column);
      const top = rows.reduce<bigint | null>((max, row) => {
        const v = row[index];
        const n = typeof v === 'bigint' || typeof v === 'number' ? BigInt(v) : null;
        return n !== null && (max === null || n > max) ? n : max;
      }, null);
      const last = actual.sequence.lastValue;
      if (top !== null && last !== null && last < top) {
        problems.push(`table "${name}": the counter of "${sequence.column}" stands at ${last}, below the largest key ${top}: the next insert would collide`);
      }
    }
  }
  return problems;
}

/** Compares what a location holds with the fixture: every table, its rows and its keys. */
async function fixtureProblems(subject: ConformanceSubject, location: string, fixture: Fixture): Promise<string[]> {
  const back = await readBack(
    subject,
    location,
    fixture.tables.map((t) => t.table.name),
  );
  const problems: string[] = [];
  for (const expected of fixture.tables) {
    const actual = back.get(expected.table.name);
    if (!actual) {
      problems.push(`table "${expected.table.name}" is missing`);
      continue;
    }
    problems.push(...rowProblems(expected, actual), ...keyProblems(expected.table, actual.table, expected.rows));
  }
  return problems;
}

/**
 * The CSV round trip: the fixture, encoded with the core codec, goes into the adapter's
 * target through the engine; the adapter's source reads it back; every value must be
 * canonically equal and every key must be there. A fixture marked `mayRefuse` may
 * instead fail with a HesapError.
 */
export async function checkRoundTrip(subject: ConformanceSubject, fixture: Fixture): Promise<string[]> {
  const place = await subject.newLocation();
  try {
    try {
      await load(subject, place.location, new FixtureSource(fixture));
    } catch (error) {
      return refusal(fixture, error) ? [] : [`writing failed: ${describeError(error)}`];
    }
    return await fixtureProblems(subject, place.location, fixture);
  } finally {
    await place.cleanup();
  }
}

/**
 * The round trip through another adapter (PostgreSQL, typically): fixture → subject →
 * peer → a fresh location of the subject, then compared with the fixture. Either side
 * may refuse a `mayRefuse` fixture; neither may change it.
 */
export async function checkPeerRoundTrip(subject: ConformanceSubject, peer: ConformanceSubject, fixture: Fixture): Promise<string[]> {
  const places: ConformanceLocation[] = [];
  const fresh = async (of: ConformanceSubject) => {
    const place = await of.newLocation();
    places.push(place);
    return place.location;
  };
  try {
    const first = await fresh(subject);
    const middle = await fresh(peer);
    const last = await fresh(subject);
    const steps: Array<[string, () => Promise<void>]> = [
      [`writing into ${subject.name}`, () => load(subject, first, new FixtureSource(fixture))],
      [`copying ${subject.name} → ${peer.name}`, async () => load(peer, middle, await subject.adapter.openSource(first, subject.openOptions))],
      [`copying ${peer.name} → ${subject.name}`, async () => load(subject, last, await peer.adapter.openSource(middle, peer.openOptions))],
    ];
    for (const [doing, step] of steps) {
      try {
        await step();
      } catch (error) {
        return refusal(fixture, error) ? [] : [`${doing} failed: ${describeError(error)}`];
      }
    }
    return await fixtureProblems(subject, last, fixture);
  } finally {
    for (const place of places.reverse()) await place.cleanup();
  }
}

/** Two tables: the failure happens in the second, after the first is complete. */
function failureFixture(version: number): Fixture {
  return {
    name: 'failure',
    about: 'a load that breaks in the middle',
    tables: [
      {
        table: fixtureTable('failure_first', [['id', 'integer'], ['note', 'text']], { primaryKey: ['id'] }),
        rows: [1, 2, 3].map((id) => [id, `version ${version}`]),
      },
      {
        table: fixtureTable('failure_second', [['id', 'integer'], ['note', 'text']], { primaryKey: ['id'] }),
        rows: Array.from({ length: 2000 }, (_, i) => [i + 1, `row ${i + 1}`]),
      },
    ],
  };
}

/**
 * Drives the target role by hand the way the engine does, with a source stream that
 * errors after some rows of the second table, then calls `abort()`. Returns the error
 * that stopped the load, or undefined when the load (wrongly) went through.
 */
async function failingLoad(subject: ConformanceSubject, location: string, fixture: Fixture, mode: 'create' | 'replace'): Promise<unknown> {
  const source = new FixtureSource(fixture, { fail: { table: 'failure_second', afterRows: 700 } });
  const target = await subject.adapter.openTarget(location, subject.openOptions);
  let failure: unknown;
  try {
    const schema = await source.introspect();
    const plan = planLoad({
      source: schema,
      target: await target.introspect({ profile: false }),
      tables: schema.tables,
      mode,
      capabilities: subject.adapter.capabilities,
      policies: resolvePolicies(),
    });
    await target.begin(plan);
    for (const table of plan.tables) {
      const write = target.writeTable(table);
      await pipeline(source.readTable(table.source), write.stream);
      await write.complete();
    }
    await target.finish();
  } catch (error) {
    failure = error;
    await target.abort(error);
  } finally {
    await target.close().catch(() => undefined);
  }
  return failure;
}

/**
 * A failure in the middle leaves nothing: into an empty location, no table exists
 * afterwards; over existing tables (`replace`), they still hold exactly their old rows.
 */
export async function checkFailureLeavesNothing(subject: ConformanceSubject): Promise<string[]> {
  const place = await subject.newLocation();
  const problems: string[] = [];
  try {
    const failed = failureFixture(2);
    if (!(await failingLoad(subject, place.location, failed, 'create'))) return ['a load whose source broke in the middle went through'];
    const left = await tablesAt(subject, place.location);
    if (left.length > 0) problems.push(`after a failed load into an empty location, table(s) ${left.map((t) => `"${t}"`).join(', ')} exist`);

    const kept = failureFixture(1);
    const original: Fixture = { ...kept, tables: [kept.tables[0]!] };
    try {
      await load(subject, place.location, new FixtureSource(original));
    } catch (error) {
      return [...problems, `writing the table to keep failed: ${describeError(error)}`];
    }
    if (!(await failingLoad(subject, place.location, failed, 'replace'))) return [...problems, 'a replace whose source broke in the middle went through'];
    const after = await tablesAt(subject, place.location);
    if (after.includes('failure_second')) problems.push('after a failed replace, the table it was creating exists');
    problems.push(...(await fixtureProblems(subject, place.location, original)).map((p) => `after a failed replace: ${p}`));
    return problems;
  } finally {
    await place.cleanup();
  }
}

/** A dry run does all the work and then rolls it back: afterwards the location holds nothing. */
export async function checkDryRunLeavesNothing(subject: ConformanceSubject): Promise<string[]> {
  const place = await subject.newLocation();
  try {
    const fixture = failureFixture(1);
    try {
      await load(subject, place.location, new FixtureSource(fixture), { dryRun: true });
    } catch (error) {
      return [`the dry run failed: ${describeError(error)}`];
    }
    const left = await tablesAt(subject, place.location);
    return left.length > 0 ? [`after a dry run, table(s) ${left.map((t) => `"${t}"`).join(', ')} exist`] : [];
  } finally {
    await place.cleanup();
  }
}
