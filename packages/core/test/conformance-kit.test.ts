import { checkDryRunLeavesNothing, checkFailureLeavesNothing, checkPeerRoundTrip, checkRoundTrip, fixtureNamed, runAdapterConformance, type ConformanceSubject } from '@hesap/core/testing';
import { MemoryAdapter, type Flaw } from './memory-adapter';

let next = 0;
function subject(adapter: MemoryAdapter): ConformanceSubject {
  return {
    name: adapter.name,
    adapter,
    newLocation: async () => {
      const location = `memory:${++next}`;
      return { location, cleanup: () => void adapter.databases.delete(location) };
    },
  };
}

// A correct adapter passes the whole kit, peers included.
runAdapterConformance({ ...subject(new MemoryAdapter()), peers: [subject(new MemoryAdapter())] });

describe('the conformance kit on broken adapters', () => {
  const broken = (flaw: Flaw) => subject(new MemoryAdapter(flaw));

  it('finds an adapter that turns empty strings into NULL', async () => {
    const problems = await checkRoundTrip(broken('empty-string-becomes-null'), fixtureNamed('null-vs-empty'));
    expect(problems).toEqual([
      'table "nulls": 1 row(s) not read back as written, e.g. ["2","","\\\\x","0"]',
      'table "nulls": 1 row(s) read back that were not written, e.g. ["2",null,"\\\\x","0"]',
    ]);
  });

  it('finds an adapter that loses the last row', async () => {
    const problems = await checkRoundTrip(broken('loses-last-row'), fixtureNamed('big-integers'));
    expect(problems).toContain('table "integers": 11 rows written, 10 read back');
    expect(problems.join('\n')).toContain('-9223372036854775808');
  });

  it('finds an adapter whose abort keeps the rows', async () => {
    const problems = await checkFailureLeavesNothing(broken('abort-keeps-rows'));
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('after a failed load into an empty location, table(s) "failure_first", "failure_second" exist')]));
  });

  it('finds an adapter whose dry run commits', async () => {
    expect(await checkDryRunLeavesNothing(broken('dry-run-commits'))).toEqual(['after a dry run, table(s) "failure_first", "failure_second" exist']);
  });

  it('finds an adapter that forgets indexes', async () => {
    const problems = await checkRoundTrip(broken('forgets-indexes'), fixtureNamed('keys-and-indexes'));
    expect(problems).toEqual([
      'table "accounts": unique keys are [email], expected [email; x, y]',
      'table "accounts": indexes are [], expected [name; y, x]',
    ]);
  });

  it('finds a broken peer on the way through it', async () => {
    const problems = await checkPeerRoundTrip(subject(new MemoryAdapter()), broken('empty-string-becomes-null'), fixtureNamed('null-vs-empty'));
    expect(problems).toHaveLength(2);
  });

  it('accepts a refusal only for fixtures that allow one', async () => {
    const refusing = subject(new MemoryAdapter());
    const original = refusing.adapter.openTarget.bind(refusing.adapter);
    refusing.adapter.openTarget = async (location) => {
      const target = await original(location);
      target.begin = async () => {
        throw new (await import('@hesap/core')).HesapError('VALUE_UNREPRESENTABLE', 'cannot hold this');
      };
      return target;
    };
    expect(await checkRoundTrip(refusing, fixtureNamed('float-nan'))).toEqual([]);
    expect(await checkRoundTrip(refusing, fixtureNamed('floats'))).toEqual(['writing failed: VALUE_UNREPRESENTABLE: cannot hold this']);
  });
});
