import { checkDryRunLeavesNothing, checkFailureLeavesNothing, checkPeerRoundTrip, checkRoundTrip, type ConformanceSubject } from './checks';
import { FIXTURES, type Fixture } from './fixtures';

export interface ConformanceOptions extends ConformanceSubject {
  /**
   * Adapters the fixtures also travel through and back (subject → peer → subject). The
   * kit knows no adapter itself: pass PostgreSQL here, with its own `newLocation`.
   */
  peers?: ConformanceSubject[];
  /** The fixtures to run; all of {@link FIXTURES} by default. */
  fixtures?: readonly Fixture[];
  /**
   * Test titles (as printed, without the suite name) that are known to fail, with the
   * reason. They run as `it.failing`: the suite turns red when one starts passing, so
   * the entry is removed with the fix.
   */
  knownProblems?: Readonly<Record<string, string>>;
  /** Milliseconds per test (default: Jest's). */
  timeoutMs?: number;
}

type TestFunction = (name: string, body: () => Promise<void>, timeout?: number) => void;

interface TestGlobals {
  describe: (name: string, body: () => void) => void;
  it: TestFunction & { failing?: TestFunction };
}

/** Jest's globals (or any runner with the same `describe`/`it`), taken when the suite is defined. */
function testGlobals(): TestGlobals {
  const g = globalThis as Partial<TestGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function') {
    throw new Error('runAdapterConformance defines tests: call it at the top level of a Jest test file.');
  }
  return g as TestGlobals;
}

/** Turns a check's list of problems into a test failure that lists them all. */
async function expectNoProblems(check: () => Promise<string[]>): Promise<void> {
  const problems = await check();
  if (problems.length > 0) throw new Error(`${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
}

/**
 * Defines the conformance suite for one adapter: the CSV round trip of every fixture,
 * the round trip through each peer, and a failure in the middle and a dry run that
 * must both leave nothing. One call at the top level of a test file.
 *
 * @example
 * runAdapterConformance({
 *   name: 'mysql',
 *   adapter: mysqlAdapter,
 *   newLocation: async () => {
 *     const db = await createMysqlDatabase();
 *     return { location: db.url, cleanup: db.drop };
 *   },
 *   peers: [{ name: 'postgres', adapter: postgresAdapter, newLocation: newPostgresDatabase }],
 * });
 */
export function runAdapterConformance(options: ConformanceOptions): void {
  const { describe, it } = testGlobals();
  const fixtures = options.fixtures ?? FIXTURES;
  const known = options.knownProblems ?? {};
  const test = (title: string, check: () => Promise<string[]>) => {
    const body = () => expectNoProblems(check);
    if (known[title] !== undefined && it.failing) it.failing(title, body, options.timeoutMs);
    else it(title, body, options.timeoutMs);
  };
  describe(`${options.name} adapter conformance`, () => {
    describe('CSV round trip', () => {
      for (const fixture of fixtures) test(`round trip: ${fixture.name}`, () => checkRoundTrip(options, fixture));
    });
    for (const peer of options.peers ?? []) {
      describe(`through ${peer.name} and back`, () => {
        for (const fixture of fixtures) test(`via ${peer.name}: ${fixture.name}`, () => checkPeerRoundTrip(options, peer, fixture));
      });
    }
    describe('failures', () => {
      test('a failure in the middle leaves nothing', () => checkFailureLeavesNothing(options));
      test('a dry run leaves nothing', () => checkDryRunLeavesNothing(options));
    });
  });
}
