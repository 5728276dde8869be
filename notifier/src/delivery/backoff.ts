/** Exponential backoff with full jitter: attempt n (1-based) waits up to base × 2^(n−1), capped. */
export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseMs: 1_000, capMs: 10 * 60_000 };

export function backoffMs(attempt: number, p: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(p.capMs, p.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half jitter: never zero, spread enough that failing endpoints don't retry in lockstep.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
