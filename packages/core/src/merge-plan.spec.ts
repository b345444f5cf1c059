import { DEFAULT_CAPABILITIES, DEFAULT_POLICIES } from './contract';
import { foreignKeyProblem, isSurrogate, planMerges, type MergeInput } from './merge-plan';
import { planLoad } from './planner';
import type { Column, ForeignKey, NeutralType, Schema, Table } from './schema';

function col(name: string, type: NeutralType = 'integer'): Column {
  return { name, type, declaredType: type.toUpperCase(), nullable: true };
}

function fk(columns: string[], table: string, refColumns: string[] = ['id']): ForeignKey {
  return { name: `${columns.join('_')}_fkey`, columns, references: { table, columns: refColumns }, onDelete: 'NO ACTION', onUpdate: 'NO ACTION' };
}

/** A table keyed by a generated `id` (a surrogate key) unless told otherwise. */
function tbl(name: string, extra: Partial<Table> = {}): Table {
  return { name, columns: [col('id'), col('name', 'text')], primaryKey: { columns: ['id'] }, uniques: [], foreignKeys: [], indexes: [], sequence: { column: 'id' }, ...extra };
}

function schema(tables: Table[]): Schema {
  return { dialect: 'test', tables, views: [], notes: [] };
}

function input(target: Table, action: MergeInput['action'], extra: Partial<MergeInput> = {}): MergeInput {
  return { target, existing: target, create: false, action, deferredForeignKeys: [], ...extra };
}

const users = tbl('users', { columns: [col('id'), col('email', 'text')], uniques: [{ name: 'users_email_key', columns: ['email'] }] });
const orders = tbl('orders', { columns: [col('id'), col('user_id'), col('total')], foreignKeys: [fk(['user_id'], 'users')] });

describe('isSurrogate', () => {
  it('is a single generated integer key', () => {
    expect(isSurrogate(users)).toBe(true);
  });

  it('is not a key without a sequence, of another type, of two columns, or that is also a foreign key', () => {
    expect(isSurrogate({ ...users, sequence: undefined })).toBe(false);
    expect(isSurrogate({ ...users, columns: [col('id', 'text'), col('email', 'text')] })).toBe(false);
    expect(isSurrogate({ ...users, primaryKey: { columns: ['id', 'email'] } })).toBe(false);
    expect(isSurrogate({ ...users, foreignKeys: [fk(['id'], 'accounts')] })).toBe(false);
  });
});

describe('foreignKeyProblem', () => {
  it('finds the parent in the push or in the target, and needs the columns to be a key there', () => {
    const notes = tbl('notes', { foreignKeys: [fk(['user_id'], 'users'), fk(['group_id'], 'groups'), fk(['email'], 'users', ['email']), fk(['name'], 'users', ['name'])] });
    const [toUsers, toGroups, toEmail, toName] = notes.foreignKeys;
    expect(foreignKeyProblem(toUsers!, [input(users, 'merge')], schema([]))).toBeUndefined();
    expect(foreignKeyProblem(toUsers!, [], schema([users]))).toBeUndefined();
    expect(foreignKeyProblem(toGroups!, [input(users, 'merge')], schema([users]))).toBe('no-parent');
    expect(foreignKeyProblem(toEmail!, [], schema([users]))).toBeUndefined();
    expect(foreignKeyProblem(toName!, [], schema([users]))).toBe('not-unique');
  });
});

describe('planMerges', () => {
  it('stages only merge modes; a load follows nothing, but knows the foreign keys it leaves out', () => {
    const lonely = tbl('orders', { foreignKeys: [fk(['group_id'], 'groups')] });
    const [plan] = planMerges([input(lonely, 'load', { create: true, existing: undefined })], schema([]));
    expect(plan!.staged).toBe(false);
    expect(plan!.match).toEqual({ naturalKey: undefined, remembered: false, byKey: false, byContent: false });
    expect(plan!.foreignKeys).toEqual({ followed: [], selfReferences: [], cycles: [], leftOut: [{ foreignKey: lonely.foreignKeys[0], problem: 'no-parent' }], orphans: 'keep' });
    expect(plan!.differing).toBe('none');
  });

  it('teaches the identity map kept ids after a load or replace of a surrogate key, when the push has merge settings', () => {
    expect(planMerges([input(users, 'replace')], schema([users]), { update: false })[0]!.identity).toBe('kept-ids');
    expect(planMerges([input(users, 'load')], schema([users]), { update: false })[0]!.identity).toBe('kept-ids');
    expect(planMerges([input(users, 'replace')], schema([users]))[0]!.identity).toBe('none');
    const textKey = { ...users, columns: [col('id', 'text'), col('email', 'text')] };
    expect(planMerges([input(textKey, 'replace')], schema([textKey]), { update: false })[0]!.identity).toBe('none');
  });

  it('merges a surrogate key by natural key, identity map and content, with new keys for taken ones', () => {
    const [plan] = planMerges([input(users, 'merge', { naturalKey: ['email'] })], schema([users]), { update: false });
    expect(plan!.staged).toBe(true);
    expect(plan!.surrogate).toBe(true);
    expect(plan!.match).toEqual({ naturalKey: ['email'], remembered: true, byKey: false, byContent: true });
    expect(plan!.newKeys).toBe(true);
    expect(plan!.identity).toBe('merge');
    // The natural key is how rows match, not a collision.
    expect(plan!.collisionKeys).toEqual([]);
    expect(plan!.differing).toBe('count');
  });

  it('checks the other unique keys of an existing table for collisions, not those of a table it creates', () => {
    const tagged = { ...users, indexes: [{ name: 'users_nick', columns: ['nick'], unique: true }] };
    const [merged] = planMerges([input(tagged, 'merge', { naturalKey: ['email'] })], schema([tagged]));
    expect(merged!.collisionKeys).toEqual([{ name: 'users_nick', columns: ['nick'] }]);
    const [upserted] = planMerges([input(tagged, 'upsert', { naturalKey: ['email'] })], schema([tagged]));
    expect(upserted!.collisionKeys).toEqual([
      { name: 'users_email_key', columns: ['email'] },
      { name: 'users_nick', columns: ['nick'] },
    ]);
    const [created] = planMerges([input(tagged, 'merge', { create: true, existing: undefined })], schema([]));
    expect(created!.collisionKeys).toEqual([]);
  });

  it('matches a key of its own by key, and a table without a key by content alone', () => {
    const codes = tbl('codes', { columns: [col('code', 'text'), col('label', 'text')], primaryKey: { columns: ['code'] }, sequence: undefined });
    const [keyed] = planMerges([input(codes, 'merge')], schema([codes]), { update: true });
    expect(keyed!.match).toEqual({ naturalKey: undefined, remembered: false, byKey: true, byContent: false });
    expect(keyed!.newKeys).toBe(false);
    expect(keyed!.identity).toBe('none');
    expect(keyed!.differing).toBe('update');
    const log = tbl('log', { primaryKey: undefined, sequence: undefined });
    const [keyless] = planMerges([input(log, 'merge')], schema([log]), { update: true });
    expect(keyless!.match).toEqual({ naturalKey: undefined, remembered: false, byKey: false, byContent: true });
    expect(keyless!.differing).toBe('none');
  });

  it('updates differing rows in an upsert, and never in an append', () => {
    expect(planMerges([input(users, 'upsert')], schema([users]), { update: false })[0]!.differing).toBe('update');
    const [append] = planMerges([input(users, 'append')], schema([users]), { update: true });
    expect(append!.differing).toBe('none');
    expect(append!.match.byKey).toBe(true);
    expect(append!.newKeys).toBe(false);
  });

  it("counts the source's sequence where the keys are the source's, and shares an existing table's sequence with the app", () => {
    const counted = { ...users, sequence: { column: 'id', lastValue: 27n } };
    const [created] = planMerges([input(counted, 'merge', { create: true, existing: undefined })], schema([]));
    expect(created!.sequence).toEqual({ column: 'id', sourceLastValue: 27n });
    expect(created!.sequenceShared).toBe(false);
    expect(planMerges([input(counted, 'replace', { existing: users })], schema([users]))[0]!.sequence).toEqual({ column: 'id', sourceLastValue: 27n });
    // A merge into a table that exists keeps the target's numbering, and draws its new keys from the sequence the app uses.
    const [merged] = planMerges([input(counted, 'merge', { existing: users })], schema([users]));
    expect(merged!.sequence).toEqual({ column: 'id' });
    expect(merged!.sequenceShared).toBe(true);
    expect(planMerges([input(counted, 'upsert', { existing: users })], schema([users]))[0]!.sequenceShared).toBe(false);
    // A serial column of another type cannot be an identity; an existing table without a sequence has none to set.
    const textKey = { ...counted, columns: [col('id', 'text'), col('email', 'text')] };
    expect(planMerges([input(textKey, 'load', { create: true, existing: undefined })], schema([]))[0]!.sequence).toBeUndefined();
    expect(planMerges([input(counted, 'load', { existing: { ...users, sequence: undefined } })], schema([users]))[0]!.sequence).toBeUndefined();
  });

  it('keeps the source value of a key that is also a foreign key, and matches it as a plain key', () => {
    const profiles = tbl('profiles', { columns: [col('user_id'), col('bio', 'text')], primaryKey: { columns: ['user_id'] }, foreignKeys: [fk(['user_id'], 'users')], sequence: undefined });
    const [, plan] = planMerges([input(users, 'merge'), input(profiles, 'merge')], schema([users, profiles]));
    expect(plan!.keptKeys).toEqual(['user_id']);
    expect(plan!.surrogate).toBe(false);
    expect(plan!.match.byKey).toBe(true);
    // The pushed table's foreign key counts even when the target's table lacks it.
    const bare = { ...profiles, foreignKeys: [], sequence: { column: 'user_id' } };
    const [, pushed] = planMerges([input(users, 'merge'), input(profiles, 'merge', { existing: bare })], schema([users, bare]));
    expect(pushed!.keptKeys).toEqual(['user_id']);
    expect(pushed!.surrogate).toBe(false);
  });

  it('follows a staged parent through its key in a merge, and checks values otherwise', () => {
    const tables = schema([users, orders]);
    const [, merged] = planMerges([input(users, 'merge'), input(orders, 'merge')], tables);
    expect(merged!.foreignKeys.followed).toEqual([{ foreignKey: orders.foreignKeys[0], throughParent: true, parentStaged: true, parentLoaded: false }]);
    const [, upserted] = planMerges([input(users, 'upsert'), input(orders, 'upsert')], tables);
    expect(upserted!.foreignKeys.followed[0]).toMatchObject({ throughParent: false, parentStaged: true, parentLoaded: false });
    const [, loaded] = planMerges([input(users, 'load'), input(orders, 'merge')], tables);
    expect(loaded!.foreignKeys.followed[0]).toMatchObject({ throughParent: false, parentStaged: false, parentLoaded: true });
    const [alone] = planMerges([input(orders, 'merge')], tables);
    expect(alone!.foreignKeys.followed[0]).toMatchObject({ throughParent: false, parentStaged: false, parentLoaded: false });
    const byEmail = { ...orders, foreignKeys: [fk(['email'], 'users', ['email'])] };
    const [, notKey] = planMerges([input(users, 'merge'), input(byEmail, 'merge')], schema([users, byEmail]));
    expect(notKey!.foreignKeys.followed[0]).toMatchObject({ throughParent: false, parentStaged: true });
  });

  it('defers self-references and cycles, and follows no foreign key it leaves out', () => {
    const nodes = tbl('nodes', { columns: [col('id'), col('parent_id'), col('label', 'text')], foreignKeys: [fk(['parent_id'], 'nodes'), fk(['label'], 'nodes', ['label']), fk(['group_id'], 'groups')] });
    const [self, byLabel, toGroups] = nodes.foreignKeys;
    const [plan] = planMerges([input(nodes, 'merge', { deferredForeignKeys: [self!, byLabel!] })], schema([nodes]));
    // A self-reference to something other than the key has nothing to be rewritten through.
    expect(plan!.foreignKeys.selfReferences).toEqual([self]);
    expect(plan!.foreignKeys.cycles).toEqual([]);
    expect(plan!.foreignKeys.followed).toEqual([]);
    expect(plan!.foreignKeys.leftOut).toEqual([
      { foreignKey: byLabel, problem: 'not-unique' },
      { foreignKey: toGroups, problem: 'no-parent' },
    ]);
    const teams = tbl('teams', { foreignKeys: [fk(['captain_id'], 'players')] });
    const players = tbl('players', { foreignKeys: [fk(['team_id'], 'teams')] });
    const [teamPlan, playerPlan] = planMerges([input(teams, 'merge', { deferredForeignKeys: [teams.foreignKeys[0]!] }), input(players, 'merge')], schema([teams, players]));
    expect(teamPlan!.foreignKeys.cycles).toEqual([teams.foreignKeys[0]]);
    expect(teamPlan!.foreignKeys.followed).toEqual([]);
    expect(playerPlan!.foreignKeys.followed[0]).toMatchObject({ throughParent: true });
  });

  it('marks a table referenced by a staged table, and its whole-number key for the range test', () => {
    const [parent, child] = planMerges([input(users, 'merge'), input(orders, 'merge')], schema([users, orders]));
    expect(parent!.referenced).toBe(true);
    expect(parent!.keyRange).toBe(true);
    expect(child!.referenced).toBe(false);
    const [unstaged] = planMerges([input(users, 'merge'), input(orders, 'load')], schema([users, orders]));
    expect(unstaged!.referenced).toBe(false);
    const textKey = { ...users, columns: [col('id', 'text'), col('email', 'text')] };
    const [textParent] = planMerges([input(textKey, 'merge'), input(orders, 'merge')], schema([textKey, orders]));
    expect(textParent!.referenced).toBe(true);
    expect(textParent!.keyRange).toBe(false);
  });
});

describe('planLoad', () => {
  it('carries each table its merge plan, under the target names', () => {
    const plan = planLoad({
      source: schema([users, orders]),
      target: schema([users]),
      tables: [orders, users],
      mode: 'merge',
      capabilities: { ...DEFAULT_CAPABILITIES, target: true, mergeModes: ['merge'] },
      policies: DEFAULT_POLICIES,
      merge: { sourceId: 'laptop', update: false, strict: false },
    });
    expect(plan.tables.map((t) => [t.target.name, t.merge?.staged, t.merge?.match.naturalKey])).toEqual([
      ['users', true, ['email']],
      ['orders', true, undefined],
    ]);
    expect(plan.tables[1]!.merge!.foreignKeys.followed.map((f) => [f.foreignKey, f.throughParent])).toEqual([[plan.tables[1]!.target.foreignKeys[0], true]]);
  });
});
