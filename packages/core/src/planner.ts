import type { AdapterCapabilities, DataPolicies, LoadPlan, MergeSettings, PushMode, TablePlan } from './contract';
import { EPOCH_WORDS, isDateTimeColumn } from './epoch-dates';
import { HesapError } from './errors';
import { identifierBytes, shortenIdentifier, truncateIdentifier } from './identifiers';
import { isStaged, planMerges } from './merge-plan';
import type { Column, ForeignKey, NeutralType, Note, Schema, Table } from './schema';
import { findTable } from './schema';
import { nameChecks, renameChecks, unkeptNotes } from './table-checks';

/**
 * Names in `tables` or `exclude` that are a table (or view) on none of the given sides are
 * a usage error naming them: a typo must not turn into "nothing differs" or an empty push.
 * A name found on some side is left for the operation to judge (a push of a table only the
 * target has fails later with TABLE_MISSING).
 */
export function checkTableNames(options: { tables?: readonly string[]; exclude?: readonly string[] }, ...sides: Schema[]): void {
  const known = new Set(sides.flatMap((s) => [...s.tables.map((t) => t.name), ...s.views.map((v) => v.name)]));
  for (const option of ['tables', 'exclude'] as const) {
    const unknown = (options[option] ?? []).filter((name) => !known.has(name));
    if (unknown.length === 0) continue;
    const tables = [...new Set(sides.flatMap((s) => s.tables.map((t) => t.name)))].sort();
    const names = unknown.map((n) => `"${n}"`).join(', ');
    throw new HesapError('USAGE', `\`${option}\` names ${names}: no such table on ${sides.length === 1 ? 'the source' : 'either side'}.`, {
      table: unknown[0],
      hints: [`Tables: ${tables.join(', ') || '(none)'}.`],
    });
  }
}

/**
 * Which tables to move: all of them, or those named, minus those excluded. A named table the
 * source lacks is an error; an excluded one is nothing to leave out (a table only the target
 * has, kept by a whole pull: {@link checkTableNames} refuses a name that is on no side).
 */
export function selectTables(schema: Schema, include?: readonly string[], exclude?: readonly string[]): Table[] {
  const known = new Set(schema.tables.map((t) => t.name));
  for (const name of include ?? []) {
    if (!known.has(name)) {
      const view = schema.views.some((v) => v.name === name);
      throw new HesapError(
        'TABLE_MISSING',
        view ? `"${name}" is a view; views are listed, not copied.` : `There is no table "${name}" in the source.`,
        {
          table: name,
          hints: [`Tables in the source: ${[...known].join(', ') || '(none)'}.`],
        },
      );
    }
  }
  const wanted = include && include.length > 0 ? new Set(include) : known;
  const dropped = new Set(exclude ?? []);
  return schema.tables.filter((t) => wanted.has(t.name) && !dropped.has(t.name));
}

export interface TableOrder {
  /** Parents before children. Tables in a cycle come in name order after their other parents. */
  order: Table[];
  /** Foreign keys that point at the table itself or close a cycle: they cannot be satisfied row by row in load order. */
  cyclic: Array<{ table: string; foreignKey: ForeignKey }>;
}

/**
 * Orders tables so that every table comes after the tables its foreign keys point at.
 * Foreign keys to tables outside the set are ignored; self-references and cycles are
 * returned in `cyclic` so a target can add those constraints after the load or defer them.
 */
export function orderTables(tables: readonly Table[]): TableOrder {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const parents = new Map<string, Set<string>>();
  for (const t of tables) {
    const ps = new Set<string>();
    for (const fk of t.foreignKeys) {
      if (fk.references.table !== t.name && byName.has(fk.references.table)) ps.add(fk.references.table);
    }
    parents.set(t.name, ps);
  }
  const order: Table[] = [];
  const placed = new Set<string>();
  const remaining = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  while (remaining.length > 0) {
    let index = remaining.findIndex((t) => [...parents.get(t.name)!].every((p) => placed.has(p)));
    if (index < 0) {
      // A cycle: take the table with the fewest unplaced parents (then by name) and go on.
      let best = 0;
      let bestCount = Infinity;
      remaining.forEach((t, i) => {
        const count = [...parents.get(t.name)!].filter((p) => !placed.has(p)).length;
        if (count < bestCount) {
          best = i;
          bestCount = count;
        }
      });
      index = best;
    }
    const [next] = remaining.splice(index, 1);
    order.push(next!);
    placed.add(next!.name);
  }
  const position = new Map(order.map((t, i) => [t.name, i]));
  const cyclic: TableOrder['cyclic'] = [];
  for (const t of order) {
    for (const fk of t.foreignKeys) {
      const parent = position.get(fk.references.table);
      if (parent !== undefined && parent >= position.get(t.name)!) cyclic.push({ table: t.name, foreignKey: fk });
    }
  }
  return { order, cyclic };
}

/**
 * Gives names to the constraints that have none, the way PostgreSQL would
 * (`users_pkey`, `users_email_key`, `orders_creator_id_fkey`), so that every
 * relation-level name is known before anything is written.
 */
export function nameConstraints(table: Table): Table {
  const base = table.name;
  const named: Table = {
    ...table,
    primaryKey: table.primaryKey && { ...table.primaryKey, name: table.primaryKey.name ?? `${base}_pkey` },
    uniques: table.uniques.map((u) => ({ ...u, name: u.name ?? `${base}_${u.columns.join('_')}_key` })),
    foreignKeys: table.foreignKeys.map((fk) => ({ ...fk, name: fk.name ?? `${base}_${fk.columns.join('_')}_fkey` })),
  };
  const taken = [named.primaryKey?.name, ...named.uniques.map((u) => u.name), ...named.foreignKeys.map((fk) => fk.name)];
  const checks = nameChecks(named, taken.filter((n): n is string => n !== undefined));
  return checks ? { ...named, checks } : named;
}

/**
 * Names the target cannot hold at all: empty names, names it reserves for itself, and
 * (where case does not count) two names that differ only in case. Refused before
 * anything is written, naming the table and both names.
 */
export function checkNames(tables: readonly Table[], capabilities: AdapterCapabilities): void {
  const fold = (n: string) => (capabilities.caseInsensitiveNames ? n.replace(/[A-Z]/g, (c) => c.toLowerCase()) : n);
  const collide = (kind: string, names: readonly string[], table?: string) => {
    const seen = new Map<string, string>();
    for (const name of names) {
      const other = seen.get(fold(name));
      if (other !== undefined && other !== name) {
        throw new HesapError('IDENTIFIER_COLLISION', `${kind} names "${other}" and "${name}"${table ? ` in table "${table}"` : ''} differ only in case, and the target does not tell them apart.`, {
          table: table ?? other,
          hints: ['Rename one of them in the source, or leave one table out with `exclude`.'],
        });
      }
      seen.set(fold(name), name);
    }
  };
  collide('Table', tables.map((t) => t.name));
  for (const table of tables) {
    if (table.name.length === 0) throw new HesapError('IDENTIFIER_INVALID', 'A table has an empty name, which the target cannot hold.');
    const reserved = (capabilities.reservedPrefixes ?? []).find((p) => table.name.toLowerCase().startsWith(p.toLowerCase()));
    if (reserved) {
      throw new HesapError('IDENTIFIER_INVALID', `Table "${table.name}": names starting with "${reserved}" are reserved by the target database.`, {
        table: table.name,
        hints: [`Leave it out with \`exclude: ['${table.name}']\`, or rename it in the source.`],
      });
    }
    const empty = table.columns.findIndex((c) => c.name.length === 0);
    if (empty >= 0) {
      throw new HesapError('IDENTIFIER_INVALID', `Table "${table.name}": column ${empty + 1} has an empty name, which the target cannot hold.`, {
        table: table.name,
        hints: ['Give the column a name in the source, or leave the table out with `exclude`.'],
      });
    }
    collide('Column', table.columns.map((c) => c.name), table.name);
  }
}

interface NameUse {
  kind: string;
  table: string;
  name: string;
}

/**
 * Makes every name fit the target. A name over the limit is refused (naming it, and
 * any other name it would collide with once cut) unless the policy says `shorten`,
 * in which case it gets a deterministic short form and a note says so. Constraint
 * names hesap made up itself are always shortened quietly.
 */
export function fitIdentifiers(
  tables: readonly Table[],
  capabilities: AdapterCapabilities,
  policies: DataPolicies,
): { tables: Table[]; notes: Note[] } {
  const limit = capabilities.maxIdentifierBytes;
  const notes: Note[] = [];
  checkNames(tables, capabilities);
  const named = tables.map((t) => ({ declared: t, named: nameConstraints(t) }));
  if (limit === undefined) return { tables: named.map((n) => n.named), notes };

  // Table and column names are the user's: refuse or shorten by policy.
  const problems: string[] = [];
  const checkGroup = (kind: string, table: string, names: string[]): Map<string, string> => {
    const renamed = new Map<string, string>();
    const cut = new Map<string, string[]>();
    for (const name of names) {
      const key = truncateIdentifier(name, limit);
      cut.set(key, [...(cut.get(key) ?? []), name]);
    }
    for (const [key, group] of cut) {
      for (const name of group) {
        if (identifierBytes(name) <= limit) continue;
        if (policies.longNames === 'shorten') {
          const short = shortenIdentifier(name, limit);
          renamed.set(name, short);
          notes.push({
            level: 'warning',
            code: 'NAME_SHORTENED',
            table,
            message: `${kind} name "${name}" is longer than ${limit} bytes; it is called "${short}" in the target.`,
          });
        } else if (group.length > 1) {
          problems.push(
            `${kind} names ${group.map((g) => `"${g}"`).join(' and ')}${kind === 'column' ? ` in table "${table}"` : ''} are the same in their first ${limit} bytes ("${key}").`,
          );
          break;
        } else {
          problems.push(`${kind} name "${name}"${kind === 'column' ? ` in table "${table}"` : ''} is longer than ${limit} bytes.`);
        }
      }
    }
    return renamed;
  };

  // A table placed in another schema is named there by its place: its two names are what must fit.
  const tableNames = checkGroup(
    'table',
    '',
    tables.filter((t) => !t.place).map((t) => t.name),
  );
  for (const { place } of tables) {
    if (!place) continue;
    for (const [kind, part] of [['schema', place.schema], ['table', place.table]] as const) {
      if (identifierBytes(part) > limit) problems.push(`${kind} name "${part}" is longer than ${limit} bytes.`);
    }
  }
  const columnMaps = new Map<string, Map<string, string>>();
  for (const { named: t } of named) {
    columnMaps.set(
      t.name,
      checkGroup(
        'column',
        t.name,
        t.columns.map((c) => c.name),
      ),
    );
  }
  const out = named.map(({ named: t }) => renameTable(t, tableNames, columnMaps));
  if (problems.length > 0) {
    const collision = problems.some((p) => p.includes(' are the same '));
    throw new HesapError(collision ? 'IDENTIFIER_COLLISION' : 'IDENTIFIER_INVALID', problems.join(' '), {
      table: out.length === 1 ? out[0]!.name : undefined,
      hints: [
        `PostgreSQL cuts names at ${limit} bytes. Rename them in the source, or pass \`policies.longNames: 'shorten'\` to give them deterministic short names.`,
      ],
    });
  }

  // Relation-level names (tables, indexes, constraints) share one namespace per schema.
  const used = new Map<string, NameUse>();
  for (const t of out) used.set(t.name, { kind: 'table', table: t.name, name: t.name });
  for (const t of out) {
    const claim = (name: string, kind: string): string => {
      let candidate = shortenIdentifier(name, limit);
      for (let n = 2; used.has(candidate); n++) candidate = shortenIdentifier(`${name}_${n}`, limit);
      used.set(candidate, { kind, table: t.name, name });
      return candidate;
    };
    if (t.primaryKey) t.primaryKey = { ...t.primaryKey, name: claim(t.primaryKey.name!, 'primary key') };
    t.uniques = t.uniques.map((u) => ({ ...u, name: claim(u.name!, 'unique constraint') }));
    t.indexes = t.indexes.map((i) => ({ ...i, name: claim(i.name, 'index') }));
    // Foreign key names only need to be unique per table, but a short one is still needed.
    t.foreignKeys = t.foreignKeys.map((fk) => ({ ...fk, name: shortenIdentifier(fk.name!, limit) }));
    if (t.checks) t.checks = t.checks.map((c) => ({ ...c, name: shortenIdentifier(c.name!, limit) }));
  }
  return { tables: out, notes };
}

function renameTable(t: Table, tables: Map<string, string>, columnMaps: Map<string, Map<string, string>>): Table {
  const mapFor = (table: string) => columnMaps.get(table) ?? new Map<string, string>();
  const own = mapFor(t.name);
  const cols = (names: string[], map = own) => names.map((name) => map.get(name) ?? name);
  return {
    ...t,
    name: tables.get(t.name) ?? t.name,
    columns: t.columns.map((c) => ({ ...c, name: own.get(c.name) ?? c.name })),
    primaryKey: t.primaryKey && { ...t.primaryKey, columns: cols(t.primaryKey.columns) },
    uniques: t.uniques.map((u) => ({ ...u, columns: cols(u.columns) })),
    indexes: t.indexes.map((i) => ({ ...i, columns: cols(i.columns) })),
    foreignKeys: t.foreignKeys.map((fk) => ({
      ...fk,
      columns: cols(fk.columns),
      references: {
        table: tables.get(fk.references.table) ?? fk.references.table,
        columns: cols(fk.references.columns, mapFor(fk.references.table)),
      },
    })),
    sequence: t.sequence && { ...t.sequence, column: own.get(t.sequence.column) ?? t.sequence.column },
    declaredPrimaryKey: t.declaredPrimaryKey && cols(t.declaredPrimaryKey),
    ...(t.checks ? { checks: renameChecks(t.checks, (name) => own.get(name) ?? name) } : {}),
  };
}

/**
 * Source types a target column of each type can take. Where the target's column is narrower
 * (0/1 into boolean, text into dates, JSON or UUID, numbers into numeric(p,s)), each value is
 * tested before anything is written (target-values.ts).
 */
const ACCEPTS: Record<NeutralType, readonly NeutralType[]> = {
  integer: ['integer', 'boolean'],
  float: ['float', 'integer', 'decimal'],
  decimal: ['decimal', 'integer', 'float'],
  boolean: ['boolean', 'integer'],
  text: ['text', 'json', 'uuid', 'date', 'time', 'timestamp', 'timestamptz', 'integer', 'decimal'],
  bytes: ['bytes'],
  date: ['date', 'text'],
  time: ['time', 'text'],
  timestamp: ['timestamp', 'timestamptz', 'text', 'date'],
  timestamptz: ['timestamptz', 'timestamp', 'text', 'date'],
  json: ['json', 'text'],
  uuid: ['uuid', 'text'],
};

/**
 * Checks that rows of `source` can go into the existing `target` table as they are.
 * Never alters the target: a missing or incompatible column is an error naming it.
 */
export function checkCompatible(source: Table, target: Table): Note[] {
  const notes: Note[] = [];
  const problems: string[] = [];
  let firstColumn: string | undefined;
  let epochColumn: string | undefined;
  for (const column of source.columns) {
    const existing = target.columns.find((c) => c.name === column.name);
    if (!existing) {
      problems.push(`column "${column.name}" does not exist in the target`);
      firstColumn ??= column.name;
    } else if (!ACCEPTS[existing.type].includes(column.type) && !takesEpoch(existing, column)) {
      problems.push(`column "${column.name}" is ${describeType(existing)} in the target but ${describeType(column)} in the source`);
      firstColumn ??= column.name;
      if (column.type === 'integer' && isDateTimeColumn(existing)) epochColumn ??= column.name;
    } else if (existing.type !== column.type) {
      notes.push({
        level: 'info',
        code: 'TYPE_CONVERTED',
        table: source.name,
        column: column.name,
        message: `${column.epoch ? `Epoch ${EPOCH_WORDS[column.epoch]}` : `${describeType(column)} values`} go into the target's ${describeType(existing)} column.`,
      });
    }
  }
  for (const existing of target.columns) {
    if (source.columns.some((c) => c.name === existing.name)) continue;
    if (!existing.nullable && existing.default === undefined && !existing.generated) {
      problems.push(`column "${existing.name}" exists only in the target and is NOT NULL without a default`);
      firstColumn ??= existing.name;
    } else {
      notes.push({
        level: 'info',
        code: 'TARGET_COLUMN_UNUSED',
        table: source.name,
        column: existing.name,
        message: `Column "${existing.name}" exists only in the target; it gets its default.`,
      });
    }
  }
  if (problems.length > 0) {
    throw new HesapError('SCHEMA_INCOMPATIBLE', `Table "${source.name}" cannot be loaded into the existing table: ${problems.join('; ')}.`, {
      table: source.name,
      column: firstColumn,
      hints: [
        ...(epochColumn ? [epochHint(source.name, epochColumn)] : []),
        'hesap never alters an existing table. Change the target table, or leave this one out with `exclude`.',
      ],
    });
  }
  return notes;
}

/** Epoch integers (mapped by `epochDates`) stay the integers they are in an existing integer column. */
function takesEpoch(existing: Column, column: Column): boolean {
  return column.epoch !== undefined && existing.type === 'integer';
}

function epochHint(table: string, column: string): string {
  return (
    `If the integers of "${column}" are dates (Knex and Prisma store epoch milliseconds, Drizzle seconds), say so: ` +
    `\`epochDates: 'ms'\` (or 's') takes every integer column declared as a date and time so, \`epochDates: { '${table}.${column}': 'ms' }\` this one.`
  );
}

/**
 * The source table as it is read for an existing target: a boolean going into an integer
 * column is read as its 0 or 1 (the CSV of a boolean is `t`/`f`, which an integer does not take);
 * epoch integers as the integers they are into an integer column, as UTC date and time into a
 * `timestamp` one.
 */
function readAs(source: Table, target: Table, existing: Table): Table {
  const columns = source.columns.map((column, i) => {
    const into = existing.columns.find((c) => c.name === target.columns[i]!.name);
    if (column.epoch && into?.type === 'integer') return { ...column, type: 'integer' as const, epoch: undefined, precision: undefined };
    // An instant into a column without a zone: its UTC date and time.
    if (column.epoch && into?.type === 'timestamp') return { ...column, type: 'timestamp' as const };
    return column.type === 'boolean' && into?.type === 'integer' ? { ...column, type: 'integer' as const } : column;
  });
  return columns.some((c, i) => c !== source.columns[i]) ? { ...source, columns } : source;
}

export function describeType(column: Column): string {
  if (column.type === 'decimal' && column.precision !== undefined) {
    return `decimal(${column.precision},${column.scale ?? 0})`;
  }
  return column.type;
}

/**
 * The natural key of a table for merging: the one given by the user (`--key
 * table=col,col`), else its first unique constraint other than the primary key, else
 * its first unique index.
 */
export function naturalKeyOf(table: Table, given?: readonly string[]): string[] | undefined {
  if (given && given.length > 0) {
    const missing = given.filter((c) => !table.columns.some((col) => col.name === c));
    if (missing.length > 0) {
      throw new HesapError('USAGE', `\`keys\` for "${table.name}" (${given.join(', ')}): no column ${missing.map((m) => `"${m}"`).join(', ')} in "${table.name}".`, {
        table: table.name,
        column: missing[0],
      });
    }
    return [...given];
  }
  const pk = table.primaryKey?.columns.join('\u0000');
  const candidates = [...table.uniques.map((u) => u.columns), ...table.indexes.filter((i) => i.unique).map((i) => i.columns)];
  return candidates.find((cols) => cols.join('\u0000') !== pk);
}

/** Builds the load plan: order, target names, and what happens to each table. */
export function planLoad(options: {
  source: Schema;
  target: Schema;
  tables: readonly Table[];
  mode: PushMode;
  capabilities: AdapterCapabilities;
  policies: DataPolicies;
  dryRun?: boolean;
  rowCounts?: ReadonlyMap<string, number>;
  merge?: MergeSettings;
  /** Nothing but clean rows (see LoadPlan.strict). */
  strict?: boolean;
  /** Natural keys given by the user, by source table name. */
  keys?: Readonly<Record<string, readonly string[]>>;
}): LoadPlan {
  if (options.mode !== 'create' && options.mode !== 'replace' && !options.capabilities.mergeModes.includes(options.mode)) {
    throw new HesapError('UNSUPPORTED', `This target does not support \`mode: '${options.mode}'\`.`, {
      hints: ["Use `mode: 'replace'`, or push into a target whose adapter supports merging (PostgreSQL)."],
    });
  }
  for (const name of Object.keys(options.keys ?? {})) {
    if (!options.tables.some((t) => t.name === name)) {
      throw new HesapError('USAGE', `\`keys\` names the table "${name}", which is not being pushed.`, { table: name });
    }
  }
  const { order, cyclic } = orderTables(options.tables);
  const fitted = fitIdentifiers(order, options.capabilities, options.policies);
  const notes: Note[] = [...fitted.notes];
  const merging = isStaged(options.mode);
  const plans: TablePlan[] = order.map((source, i) => {
    const target = fitted.tables[i]!;
    const deferredForeignKeys = cyclic
      .filter((c) => c.table === source.name)
      .map((c) => target.foreignKeys[source.foreignKeys.indexOf(c.foreignKey)]!)
      .filter(Boolean);
    const existing = findTable(options.target, target.name);
    const base = { source, target, rowCount: options.rowCounts?.get(source.name), deferredForeignKeys };
    const naturalKey = options.mode === 'merge' ? naturalKeyOf(target, options.keys?.[source.name]) : undefined;
    if (!existing) {
      // A new table without foreign keys has nothing to remap, match or skip: a merge into it
      // is a plain load (no staging table, which would also cost row width). One with foreign
      // keys is merged, so rows whose parent is missing are skipped and reported.
      const plain = !merging || source.foreignKeys.length === 0;
      return { ...base, create: true, action: plain ? 'load' : options.mode, naturalKey } as TablePlan;
    }
    notes.push(...checkCompatible(target, existing));
    const action: TablePlan['action'] = options.mode === 'create' ? 'load' : (options.mode as TablePlan['action']);
    return { ...base, source: readAs(source, target, existing), create: false, action, existing, naturalKey };
  });
  notes.push(...unkeptNotes(plans, options.capabilities));
  const merges = planMerges(plans, options.target, options.merge);
  const tables = plans.map((plan, i) => ({ ...plan, merge: merges[i] }));
  return { mode: options.mode, tables, dryRun: options.dryRun ?? false, strict: options.strict ?? false, notes, merge: options.merge };
}
