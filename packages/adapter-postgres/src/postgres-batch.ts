/**
 * Statements that do not depend on each other's results, sent in one message (issue 24: one
 * round trip instead of one each), with the error each would give alone.
 */

/** One statement of a batch, with what its error names (as `run` takes it). */
export interface Step {
  sql: string;
  table?: string;
  doing?: string;
  /** Turns this statement's own error into the one to throw (thrown as it is when it gives undefined). */
  explain?: (error: unknown) => unknown;
  /** How the statement runs when it is sent alone (a foreign key that may need NOT VALID); `run` with its context otherwise. */
  alone?: () => Promise<unknown>;
}

/** Runs one statement with its context; maps driver errors (PostgresTarget.run). */
export type RunStep = (sql: string, context?: { table?: string; doing?: string }) => Promise<unknown>;

/**
 * `steps` in one simple-query message inside the savepoint `name`, in order. When the message
 * fails, the savepoint is rolled back and the steps run again one at a time (`alone`), so what
 * happens is exactly what sending them one by one does: the error thrown is the failing
 * statement's own, with its table named and `explain` applied. Only a failure costs the extra
 * round trips.
 */
export async function runSteps(run: RunStep, steps: readonly Step[], name: string, context: { doing?: string } = {}): Promise<void> {
  if (steps.length === 0) return;
  const alone = async (step: Step) => {
    try {
      await (step.alone ? step.alone() : run(step.sql, { table: step.table, doing: step.doing }));
    } catch (error) {
      throw (step.explain?.(error) ?? error);
    }
  };
  if (steps.length === 1) return alone(steps[0]!);
  try {
    await run([`SAVEPOINT ${name}`, ...steps.map((s) => s.sql), `RELEASE SAVEPOINT ${name}`].join(';\n'), context);
    return;
  } catch (error) {
    try {
      await run(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
    } catch {
      // The connection or the transaction is gone: the message's own error says why.
      throw error;
    }
    // Alone, each one may go through (a lock timeout that has passed): then the steps are done.
    for (const step of steps) await alone(step);
  }
}
