/** Exponential backoff for calls to a flaky RPC. */

export interface RetryOptions {
  /** Attempts in total (Infinity: until it works). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Errors for which retrying cannot help (e.g. a contract revert) are rethrown at once. */
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
}

export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt + 1 >= o.attempts || (o.retryable && !o.retryable(err))) throw err;
      const delay = backoffDelay(attempt, o.baseDelayMs, o.maxDelayMs);
      o.onRetry?.(err, attempt + 1, delay);
      await (o.sleep ?? sleep)(delay);
    }
  }
}
