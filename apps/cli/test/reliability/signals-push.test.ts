import * as path from 'node:path';
import {
  buildLoadDatabase,
  createTestDatabase,
  hesapSessions,
  pgFingerprint,
  phaseWindow,
  runHesap,
  spawnHesap,
  tempDir,
  waitFor,
  type TestDatabase,
} from '@hesap/test-support';

/**
 * `hesap db push` interrupted at random points while it moves rows: SIGINT must roll the
 * remote back and exit non-zero with a one-line message; SIGKILL leaves the server to roll
 * back, and the next push succeeds. Either way the remote holds exactly what it held before.
 */

/** Milliseconds in [min, max). */
const randomDelay = (min: number, max: number) => Math.floor(min + Math.random() * (max - min));

describe('hesap db push, interrupted by a signal', () => {
  const tmp = tempDir('hesap-sig-push');
  let pg: TestDatabase;
  const big = path.join(tmp.dir, 'big.db');
  const small = path.join(tmp.dir, 'small.db');
  let before: Awaited<ReturnType<typeof pgFingerprint>>;
  /** How long a push's COPY runs on this machine, from when the server shows it to the end. */
  let copyWindowMs = 0;

  beforeAll(async () => {
    pg = await createTestDatabase('sig_push');
    // Big enough for a push of a few seconds.
    buildLoadDatabase(big, { parents: 100_000, childrenPerParent: 4 });
    buildLoadDatabase(small, { parents: 10, childrenPerParent: 1 });
    const first = await runHesap(['db', 'push', '--local', small, '--remote', pg.url, '--mode', 'replace', '--yes', '--json']);
    expect(first.code).toBe(0);
    // The signals below must land while rows move: measure how long that lasts here.
    const timed = await phaseWindow('push COPY window', pushUntilCopying);
    expect(timed.code).toBe(0);
    copyWindowMs = timed.ms;
    expect(copyWindowMs).toBeGreaterThan(300);
    expect((await runHesap(['db', 'push', '--local', small, '--remote', pg.url, '--mode', 'replace', '--yes', '--json'])).code).toBe(0);
    before = await pgFingerprint(pg);
  }, 120_000);
  afterAll(async () => {
    await pg.drop();
    tmp.cleanup();
  });

  /** Starts a replace push of the big file; resolves when hesap's COPY is running on the server. */
  async function pushUntilCopying() {
    const run = spawnHesap(['db', 'push', '--local', big, '--remote', pg.url, '--mode', 'replace', '--yes']);
    await waitFor(async () => (await hesapSessions(pg)).some((s) => /^COPY /.test(s.query) && s.state === 'active') || run.child.exitCode !== null, {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'the push to start copying',
    });
    expect(run.child.exitCode).toBeNull();
    return run;
  }

  const INTERRUPTED_LINE = /^Error \[INTERRUPTED\] Stopped \(SIGINT received\); the target was rolled back\.( \(table "(parents|children)"\))?$/;

  it.each([1, 2])('SIGINT at a random moment of the COPY (#%i): exit 1, the message [INTERRUPTED] on one line, no stack, the remote as it was', async () => {
    const run = await pushUntilCopying();
    const delay = randomDelay(0, copyWindowMs / 2);
    await new Promise((r) => setTimeout(r, delay));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGINT');
    const result = await run.done;
    const context = { delay, stderr: result.stderr };
    expect({ ...context, code: result.code, signal: result.signal }).toMatchObject({ code: 1, signal: null });
    const messages = result.stderr.split('\n').filter((l) => /^Error /.test(l));
    expect({ ...context, messages }).toEqual({ ...context, messages: [expect.stringMatching(INTERRUPTED_LINE)] });
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toBe('');
    await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'hesap sessions to end' });
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  // Every failure was once also logged to stderr as a pino JSON line repeating the message.
  it('SIGINT: stderr holds the one-line message and nothing else', async () => {
    const run = await pushUntilCopying();
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(INTERRUPTED_LINE)]);
    await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'hesap sessions to end' });
  });

  it('SIGINT with --json: exit 1 and one JSON document with the INTERRUPTED error', async () => {
    const run = spawnHesap(['db', 'push', '--local', big, '--remote', pg.url, '--mode', 'replace', '--yes', '--json']);
    await waitFor(async () => (await hesapSessions(pg)).some((s) => /^COPY /.test(s.query)) || run.child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 20 });
    run.child.kill('SIGINT');
    const result = await run.done;
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: expect.objectContaining({ code: 'INTERRUPTED' }) });
    await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'hesap sessions to end' });
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it.each([1])('SIGKILL at a random moment of the COPY (#%i): the remote as it was, and the next push succeeds', async () => {
    const run = await pushUntilCopying();
    const delay = randomDelay(0, copyWindowMs / 2);
    await new Promise((r) => setTimeout(r, delay));
    expect(run.child.exitCode).toBeNull();
    run.child.kill('SIGKILL');
    const result = await run.done;
    expect(result.signal).toBe('SIGKILL');
    await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'the server to end the killed session' });
    expect(await pgFingerprint(pg)).toEqual(before);
    // The next run is not blocked by anything the killed one left.
    const next = await runHesap(['db', 'push', '--local', small, '--remote', pg.url, '--mode', 'replace', '--yes', '--json', '--lock-timeout', '5']);
    expect({ code: next.code, stderr: next.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await pgFingerprint(pg)).toEqual(before);
  });

  it('a signal at a random moment from start-up to the end: the remote is the old content or the new one, never a mix', async () => {
    const timed = await runHesap(['db', 'push', '--local', big, '--remote', pg.url, '--mode', 'replace', '--yes', '--json']);
    expect(timed.code).toBe(0);
    const after = await pgFingerprint(pg);
    const outcomes: string[] = [];
    for (const signal of ['SIGINT', 'SIGKILL', 'SIGTERM'] as const) {
      const reset = await runHesap(['db', 'push', '--local', small, '--remote', pg.url, '--mode', 'replace', '--yes', '--json']);
      expect(reset.code).toBe(0);
      const run = spawnHesap(['db', 'push', '--local', big, '--remote', pg.url, '--mode', 'replace', '--yes']);
      const delay = randomDelay(0, timed.durationMs);
      await new Promise((r) => setTimeout(r, delay));
      run.child.kill(signal);
      const result = await run.done;
      await waitFor(async () => (await hesapSessions(pg)).length === 0, { what: 'hesap sessions to end' });
      const now = await pgFingerprint(pg);
      const state = JSON.stringify(now) === JSON.stringify(before) ? 'old' : JSON.stringify(now) === JSON.stringify(after) ? 'new' : 'MIXED';
      outcomes.push(`${signal} after ${delay} ms: exit ${result.code ?? result.signal}, ${state}`);
      expect({ signal, delay, state }).not.toMatchObject({ state: 'MIXED' });
      // Killed by the signal itself (before hesap set its handler, or SIGKILL): either state.
      // Exit 0: the push was complete. Exit 1: interrupted, rolled back.
      if (result.code === 0) expect(state).toBe('new');
      if (result.code === 1) {
        expect({ signal, delay, state, stderr: result.stderr }).toMatchObject({ state: 'old' });
        expect(result.stderr).toMatch(/^Error \[INTERRUPTED\]/m);
      }
    }
    process.stderr.write(`push signal outcomes: ${outcomes.join('; ')}\n`);
  });
});
