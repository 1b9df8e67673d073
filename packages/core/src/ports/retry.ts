import { TransientError } from "./infrastructure-errors.ts";

export type RetryPolicy = {
  /** Attempts in all, including the first. */
  attempts: number;
  /** Delay before the second attempt; each later one doubles, plus up to 50 % jitter. */
  baseDelayMs: number;
  /** Cap on any single delay. */
  maxDelayMs: number;
};

export type RetryDeps = {
  sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1); injected so tests are deterministic. */
  random: () => number;
};

/** Within a Lambda run: about 3 s in all before the error escapes to Lambda's own retries. */
export const transientRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
};

/** The delay before attempt `attempt + 1` (attempt counts from 1): exponential with jitter. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exponential * (1 + random() / 2));
}

/**
 * Runs `operation`, retrying TransientErrors with backoff; any other error, and the last
 * TransientError, is thrown as it is.
 */
export async function retryTransient<T>(
  deps: RetryDeps,
  policy: RetryPolicy,
  operation: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!(error instanceof TransientError) || attempt >= policy.attempts) throw error;
      await deps.sleep(backoffDelay(policy, attempt, deps.random));
    }
  }
}
