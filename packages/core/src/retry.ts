import { HesapError } from './errors';

/** One attempt that failed and was tried again. */
export interface RetryRecord {
  attempt: number;
  code: string;
  reason: string;
  /** Milliseconds waited before the next attempt. */
  waitedMs: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** Wait before the first retry; doubles each time, with jitter (default 500 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  signal?: AbortSignal;
  onRetry?: (record: RetryRecord) => void;
  /**
   * Whether another attempt may start after waiting `waitMs` (a time budget shared by the
   * attempts, such as one connect timeout for them all). False makes `error` final.
   */
  mayRetry?: (error: unknown, waitMs: number) => boolean;
}

/** True for failures where doing the same work again may succeed: the connection, not the data. */
export function isRetriable(error: unknown): boolean {
  return error instanceof HesapError && error.retriable && error.code !== 'COMMIT_UNKNOWN' && error.code !== 'INTERRUPTED';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * Runs `work` again after transient failures (connection lost, server restarting,
 * serialization failures, deadlocks: see each adapter's `retriable` flag), with
 * exponential backoff. Data errors are never retried. Each attempt must redo the whole
 * unit of work: a COPY is never resumed in the middle.
 *
 * @example
 * const report = await withRetries((attempt) => pushOnce(attempt), { attempts: 4, onRetry: (r) => log(r.reason) });
 */
export async function withRetries<T>(work: (attempt: number) => Promise<T>, options: RetryOptions): Promise<{ value: T; retries: RetryRecord[] }> {
  const attempts = Math.max(1, options.attempts);
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 10_000;
  const retries: RetryRecord[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await work(attempt), retries };
    } catch (error) {
      const waitedMs = Math.min(max, base * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      if (attempt >= attempts || !isRetriable(error) || options.signal?.aborted || options.mayRetry?.(error, waitedMs) === false) {
        if (retries.length > 0 && error instanceof HesapError) {
          error.hints.push(`Tried ${attempt} times: ${retries.map((r) => r.code).join(', ')}, then ${error.code}.`);
        }
        throw error;
      }
      const record: RetryRecord = { attempt, code: (error as HesapError).code, reason: (error as Error).message, waitedMs: Math.round(waitedMs) };
      retries.push(record);
      options.onRetry?.(record);
      await sleep(waitedMs, options.signal);
    }
  }
}
