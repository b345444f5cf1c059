import type { Adapter, OpenOptions, SourceSession, TargetSession } from '@hesap/core';
import type { SessionSettings } from './settings';

/** Options a single opening adds to the operation's settings: `profile: false` for a quick look, a SQLite target's `fresh`, a snapshot target's source. */
type Extra = Partial<OpenOptions> & Record<string, unknown>;

/** Something that opens targets of type T: an adapter, typed by what its target offers (a snapshot target's manifest). */
interface TargetOpener<T extends TargetSession> {
  openTarget(location: string, options?: OpenOptions): Promise<T>;
}

/**
 * The sessions of one operation, all opened with the operation's settled settings, and
 * closed together. Source and target never share a connection: each is its own session.
 */
export class Sessions {
  private readonly opened: Array<SourceSession | TargetSession> = [];

  constructor(private readonly settings: SessionSettings) {}

  private options(extra: Extra): OpenOptions {
    const { connectTimeoutSeconds, lockTimeoutSeconds, idleTimeoutSeconds, policies, log } = this.settings;
    return { connectTimeoutSeconds, lockTimeoutSeconds, idleTimeoutSeconds, policies, log, ...extra };
  }

  async source(adapter: Adapter, location: string, extra: Extra = {}): Promise<SourceSession> {
    const session = await adapter.openSource(location, this.options(extra));
    this.opened.push(session);
    return session;
  }

  async target<T extends TargetSession>(adapter: TargetOpener<T>, location: string, extra: Extra = {}): Promise<T> {
    const session = await adapter.openTarget(location, this.options(extra));
    this.opened.push(session);
    return session;
  }

  /** Closes every session, the last opened first; a failing close never hides the operation's own outcome. */
  async close(): Promise<void> {
    for (const session of this.opened.splice(0).reverse()) await session.close().catch(() => undefined);
  }
}

/**
 * Runs `work` with the sessions it opens through `open`, every one with the same settled
 * settings, and closes them all however the work ends.
 *
 * @example
 * const rows = await withSessions(settings, async (open) => {
 *   const source = await open.source(adapter, 'app.db', { profile: false });
 *   return source.countRows(table);
 * });
 */
export async function withSessions<R>(settings: SessionSettings, work: (open: Sessions) => Promise<R>): Promise<R> {
  const sessions = new Sessions(settings);
  try {
    return await work(sessions);
  } finally {
    await sessions.close();
  }
}
