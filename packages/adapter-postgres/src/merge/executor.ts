import type pg from 'pg';
import { HesapError } from '@hesap/core';
import { mapQueryError } from '../postgres-errors';

/** A statement queued on its own. */
interface Statement {
  kind: 'statement';
  sql: string;
  /** Someone reads its result (see `ask`). */
  read: boolean;
  result?: pg.QueryResult;
  /** Settles once the message carrying it is answered. */
  sent?: Promise<unknown>;
  error?: HesapError;
}

/** What a guarded step came to: `held`, its statements ran and `results` are theirs; otherwise those of the alternative. */
export interface Guarded {
  held: boolean;
  results: pg.QueryResult[];
}

/** Statements inside a savepoint (see `guard`). */
interface Guard {
  kind: 'guard';
  name: string;
  expected: string;
  statements: readonly string[];
  after: readonly string[];
  otherwise: readonly string[];
  /** Someone reads its results (not only whether it held). */
  read: boolean;
  result?: Guarded;
  sent?: Promise<unknown>;
  error?: HesapError;
}

type Entry = Statement | Guard;

/** The statements an entry puts in a message, in order. */
function pieces(entry: Entry): string[] {
  if (entry.kind === 'statement') return [entry.sql];
  return [`SAVEPOINT ${entry.name}`, ...entry.statements, `RELEASE SAVEPOINT ${entry.name}`, ...entry.after];
}

/** Hands the answers of a message to its entries, in order. */
function distribute(entries: readonly Entry[], answers: readonly pg.QueryResult[]): void {
  let at = 0;
  for (const entry of entries) {
    if (entry.kind === 'statement') {
      entry.result = answers[at++];
      continue;
    }
    entry.result = { held: true, results: answers.slice(at + 1, at + 1 + entry.statements.length) };
    at += pieces(entry).length;
  }
}

/**
 * Where the queued entries split into messages: a guarded step goes in the message of what was
 * queued before it, unless something read before it would lose its result when the step fails
 * (the whole message is then answered with the error), or a step of the same name is in that
 * message already (its rollback would find the wrong savepoint).
 */
function messages(entries: readonly Entry[]): Entry[][] {
  const out: Entry[][] = [];
  let current: Entry[] = [];
  for (const entry of entries) {
    if (entry.kind === 'guard' && current.some((e) => e.read || (e.kind === 'guard' && e.name === entry.name))) {
      out.push(current);
      current = [];
    }
    current.push(entry);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Sends a table merge's statements, as few messages as their dependencies allow. Steps
 * queue statements; nothing goes to the server until a step needs a result (it awaits
 * `ask`), and then every statement queued so far goes with it, in one simple-query message
 * (no parameters there: constants are written as literals). A statement runs after the ones
 * queued before it, as it would one at a time, and an error stops the rest of its message
 * as it would stop the transaction: it is reported (table, SQLSTATE) by the await that sent it.
 *
 * A guarded step (statements inside a savepoint, see `guard`) goes in the same message as what
 * is queued before and after it. When it fails as expected, it is rolled back to its savepoint
 * with its alternative, and what was queued after it (which never ran) is sent again behind
 * them: the statements run in the order they would one message at a time.
 */
export class MergeExecutor {
  private queued: Entry[] = [];
  /** The first error: a message sent after it only meets the aborted transaction, so this is the one to report. */
  private failure?: HesapError;

  constructor(
    private readonly client: pg.ClientBase,
    private readonly table: string,
  ) {}

  /** Queues a statement whose result nobody reads. */
  send(...statements: string[]): void {
    for (const sql of statements) this.queued.push({ kind: 'statement', sql, read: false });
  }

  /** Queues a statement; awaiting the answer sends it, with everything queued before it. */
  ask(sql: string): PromiseLike<pg.QueryResult> {
    const entry: Statement = { kind: 'statement', sql, read: true };
    this.queued.push(entry);
    return {
      then: (fulfilled, rejected) => this.settle(entry).then(fulfilled, rejected),
    };
  }

  /**
   * Queues `statements` inside a savepoint; awaiting the answer sends them, with everything
   * queued before and after. `held`: they ran, and `results` are theirs. Not held: they failed
   * with SQLSTATE `expected`, were rolled back to the savepoint (the transaction still usable),
   * and `results` are those of `otherwise`, sent with the rollback. `after` runs once the
   * savepoint is released. An error elsewhere in the message (before the savepoint or after
   * it) is no failure of the savepoint's: its rollback then finds no savepoint, and the error
   * is thrown as it came. `read: false` when only `held` is read (then the step does not
   * stop the guarded steps queued after it from going in the same message).
   */
  guard(name: string, expected: string, statements: readonly string[], more: { after?: readonly string[]; otherwise?: readonly string[]; read?: boolean } = {}): PromiseLike<Guarded> {
    const entry: Guard = { kind: 'guard', name, expected, statements, after: more.after ?? [], otherwise: more.otherwise ?? [], read: more.read ?? true };
    this.queued.push(entry);
    return {
      then: (fulfilled, rejected) => this.settle(entry).then(fulfilled, rejected),
    };
  }

  /** A guarded step (see `guard`), sent now with everything queued. */
  async guarded(name: string, expected: string, statements: readonly string[], more: { after?: readonly string[]; otherwise?: readonly string[] } = {}): Promise<Guarded> {
    return this.guard(name, expected, statements, more);
  }

  /** Sends every queued statement. */
  async flush(): Promise<void> {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const sent = this.deliver(batch);
    for (const entry of batch) entry.sent = sent;
    await sent;
  }

  private async settle<T extends Entry>(entry: T): Promise<NonNullable<T['result']>> {
    if (this.queued.includes(entry)) await this.flush().catch(() => undefined);
    else await entry.sent?.catch(() => undefined);
    if (entry.error) throw entry.error;
    if (!entry.result) throw new HesapError('INTERNAL', `Merging "${this.table}": a statement was never answered.`, { table: this.table });
    return entry.result as NonNullable<T['result']>;
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

  /** The batch's messages, one after the other; after one fails, the rest are not sent and report its error. */
  private async deliver(batch: readonly Entry[]): Promise<void> {
    for (const message of messages(batch)) {
      if (this.failure) {
        for (const entry of message) entry.error = this.failure;
        continue;
      }
      await this.send1(message).catch(() => undefined);
    }
    if (this.failure && batch.some((entry) => entry.error)) throw this.failure;
  }

  /** One message; a guarded step in it that failed as expected is rolled back, and what followed it sent again. */
  private async send1(entries: readonly Entry[]): Promise<void> {
    let answers: pg.QueryResult[];
    try {
      answers = await this.answer(entries.flatMap(pieces));
    } catch (error) {
      const rest = await this.rollBack(entries, this.mapped(error));
      if (rest === undefined) {
        for (const entry of entries) entry.error = this.failure;
        throw this.failure;
      }
      if (rest.length > 0) await this.send1(rest);
      return;
    }
    distribute(entries, answers);
  }

  /**
   * After `failed` ended a message: the guarded step it came from, rolled back to its
   * savepoint, then its alternative and what followed it in the message (which never ran),
   * up to the next guarded step, in one message. Returns the entries from that next step on
   * (to send), or undefined, the failure recorded, when the error came from no guarded step
   * (or the second message failed too).
   */
  private async rollBack(entries: readonly Entry[], failed: HesapError): Promise<Entry[] | undefined> {
    for (const [i, step] of entries.entries()) {
      if (step.kind !== 'guard' || step.expected !== failed.sqlstate) continue;
      const after = entries.slice(i + 1);
      const next = after.findIndex((e) => e.kind === 'guard');
      const tail = next < 0 ? after : after.slice(0, next);
      const rollback = [`ROLLBACK TO SAVEPOINT ${step.name}`, `RELEASE SAVEPOINT ${step.name}`, ...step.otherwise];
      let answers: pg.QueryResult[];
      try {
        answers = await this.answer([...rollback, ...tail.flatMap(pieces)]);
      } catch (second) {
        // No savepoint to roll back to: the error came from outside this step.
        if ((second as { code?: string }).code === '3B001') continue;
        this.failure = this.mapped(second);
        return undefined;
      }
      // What came before it ran (guarded steps there held); nothing there is read (see `messages`).
      for (const before of entries.slice(0, i)) if (before.kind === 'guard') before.result = { held: true, results: [] };
      step.result = { held: false, results: answers.slice(2, rollback.length) };
      distribute(tail, answers.slice(rollback.length));
      return next < 0 ? [] : after.slice(next);
    }
    this.failure = failed;
    return undefined;
  }

  /** The answers to `statements`, sent as one message (the driver's error as it came). */
  private async answer(statements: readonly string[]): Promise<pg.QueryResult[]> {
    if (statements.length === 0) return [];
    const answer = (await this.client.query(statements.join(';\n'))) as pg.QueryResult | pg.QueryResult[];
    const results = Array.isArray(answer) ? answer : [answer];
    if (results.length !== statements.length) {
      throw new HesapError('INTERNAL', `Merging "${this.table}": ${statements.length} statements sent, ${results.length} answers.`, { table: this.table });
    }
    return results;
  }

  private mapped(error: unknown): HesapError {
    return mapQueryError(error, { table: this.table, doing: `Merging "${this.table}"` });
  }
}
