/**
 * @hesap/core/testing: the conformance kit for adapters. Any adapter, ours or another
 * app's, runs it against itself with one call in a Jest test file:
 *
 * @example
 * import { runAdapterConformance } from '@hesap/core/testing';
 * runAdapterConformance({ name: 'mine', adapter: myAdapter, newLocation: async () => ({ location, cleanup }) });
 *
 * It uses only the adapter contract and the core codec; it imports no adapter or driver.
 */
export { FIXTURES, fixtureNamed, fixtureTable, type Fixture, type FixtureTable } from './fixtures';
export { FixtureSource } from './fixture-source';
export {
  checkRoundTrip,
  checkPeerRoundTrip,
  checkFailureLeavesNothing,
  checkDryRunLeavesNothing,
  rowProblems,
  keyProblems,
  type ConformanceLocation,
  type ConformanceSubject,
} from './checks';
export { runAdapterConformance, type ConformanceOptions } from './conformance';
