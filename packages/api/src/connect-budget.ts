/**
 * One connect timeout for all the attempts of an operation. A server that never answers
 * must fail within `connectTimeoutSeconds`, not once per attempt: the first connection of
 * a run of failed connections starts the clock, each connection gets what is left, and no
 * retry starts once the clock has run out. A connection that succeeds ends the run, so an
 * attempt that fails later (a server restarting in the middle of a push) reconnects with
 * the whole budget again.
 */
export class ConnectBudget {
  private started?: number;
  private failedConnecting = false;

  constructor(private readonly seconds: number) {}

  /** Runs one connection (opening a session) with the seconds left of the budget. */
  async connect<T>(open: (seconds: number) => Promise<T>): Promise<T> {
    this.started ??= Date.now();
    this.failedConnecting = false;
    try {
      return await open(Math.max(0.001, this.leftMs(Date.now()) / 1000));
    } catch (error) {
      this.failedConnecting = true;
      throw error;
    }
  }

  /** Every session of the attempt is open: a later connection failure starts a new budget. */
  connected(): void {
    this.started = undefined;
    this.failedConnecting = false;
  }

  /** Whether an attempt that failed may be tried again after `waitMs`: always, unless it failed connecting and the budget is spent by then. */
  allowsRetry(waitMs: number): boolean {
    return !this.failedConnecting || this.leftMs(Date.now() + waitMs) > 0;
  }

  private leftMs(at: number): number {
    return (this.started ?? at) + this.seconds * 1000 - at;
  }
}
