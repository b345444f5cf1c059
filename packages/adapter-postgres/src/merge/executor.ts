import type pg from 'pg';
import { HesapError } from '@hesap/core';
import { mapQueryError } from '../postgres-errors';

interface Queued {
  sql: string;
  /** Someone reads its result (see `ask`). */
  read: boolean;
  /** Settles once the message carrying it is answered. */
  sent?: Promise<unknown>;
  result?: pg.QueryResult;
  error?: HesapError;
}

/**
 * Sends a table merge's statements, as few messages as their dependencies allow. Steps
 * queue statements; nothing goes to the server until a step needs a result (it awaits
 * `ask`), and then every statement queued so far goes with it, in one simple-query message
 * (no parameters there: constants are written as literals). A statement runs after the ones
 * queued before it, as it would one at a time, and an error stops the rest of its message
 * as it would stop the transaction: it is reported (table, SQLSTATE) by the await that sent it.
 */
export class MergeExecutor {
  private queued: Queued[] = [];
  /** The first error: a message sent after it only meets the aborted transaction, so this is the one to report. */
  private failure?: HesapError;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly table: string,
  ) {}

  /** Queues a statement whose result nobody reads. */
  send(...statements: string[]): void {
    for (const sql of statements) this.queued.push({ sql, read: false });
  }

  /** Queues a statement; awaiting the answer sends it, with everything queued before it. */
  ask(sql: string): PromiseLike<pg.QueryResult> {
    const entry: Queued = { sql, read: true };
    this.queued.push(entry);
    return {
      then: (fulfilled, rejected) => this.settle(entry).then(fulfilled, rejected),
    };
  }

  /** Sends every queued statement. */
  async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (batch.length > 0) await this.deliver(batch, batch.map((q) => q.sql));
  }

  private async settle(entry: Queued): Promise<pg.QueryResult> {
    if (this.queued.includes(entry)) await this.flush();
    else await entry.sent?.catch(() => undefined);
    if (entry.error) throw entry.error;
    return entry.result!;
  }

  /**
   * `statements` inside a savepoint, sent together with what is queued. `held`: they ran, and
   * `results` are theirs. Not held: they failed with SQLSTATE `expected`, were rolled back to
   * the savepoint (the transaction still usable), and `results` are those of `otherwise`,
   * sent with the rollback. `after` runs once the savepoint is released. An error elsewhere in
   * the message (before the savepoint or after it) is no failure of the savepoint's: its
   * rollback then finds no savepoint, and the error is thrown as it came.
   */
  async guarded(
    name: string,
    expected: string,
    statements: readonly string[],
    more: { after?: readonly string[]; otherwise?: readonly string[] } = {},
  ): Promise<{ held: boolean; results: pg.QueryResult[] }> {
    // Results of queued statements are lost when the message fails: those someone reads go first, alone.
    if (this.queued.some((q) => q.read)) await this.flush();
    const before = this.queued;
    this.queued = [];
    const guarded = [`SAVEPOINT ${name}`, ...statements, `RELEASE SAVEPOINT ${name}`];
    try {
      const results = await this.deliver(before, [...before.map((q) => q.sql), ...guarded, ...(more.after ?? [])]);
      return { held: true, results: results.slice(before.length + 1, before.length + 1 + statements.length) };
    } catch (error) {
      if ((error as HesapError).sqlstate !== expected) throw error;
      const rollback = [`ROLLBACK TO SAVEPOINT ${name}`, `RELEASE SAVEPOINT ${name}`];
      this.failure = undefined;
      const restored = await this.deliver([], [...rollback, ...(more.otherwise ?? [])]).catch((second: HesapError) => {
        if (second.sqlstate !== '3B001') throw second;
        // No savepoint to roll back to: the error came from outside it.
        this.failure = error as HesapError;
        throw error;
      });
      return { held: false, results: restored.slice(rollback.length) };
    }
  }

  /** A statement with parameters, alone (after everything queued). */
  async query(sql: string, values: unknown[]): Promise<pg.QueryResult> {
    await this.flush();
    try {
      return await this.client.query(sql, values);
    } catch (error) {
      throw this.mapped(error);
    }
  }

  private deliver(entries: readonly Queued[], statements: readonly string[]): Promise<pg.QueryResult[]> {
    const sent = this.answer(entries, statements);
    for (const entry of entries) entry.sent = sent;
    return sent;
  }

  private async answer(entries: readonly Queued[], statements: readonly string[]): Promise<pg.QueryResult[]> {
    let results: pg.QueryResult[];
    try {
      const answer = (await this.client.query(statements.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
      results = Array.isArray(answer) ? answer : [answer];
    } catch (error) {
      const mapped = (this.failure ??= this.mapped(error));
      for (const entry of entries) entry.error = mapped;
      throw mapped;
    }
    if (results.length !== statements.length) {
      throw new HesapError('INTERNAL', `Merging "${this.table}": ${statements.length} statements sent, ${results.length} answers.`, { table: this.table });
    }
    entries.forEach((entry, i) => (entry.result = results[i]));
    return results;
  }

  private mapped(error: unknown): HesapError {
    return mapQueryError(error, { table: this.table, doing: `Merging "${this.table}"` });
  }
}
