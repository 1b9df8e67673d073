/**
 * Keyed token buckets: each key may spend `capacity` tokens at once and regains them evenly
 * over `refillMs`, so "5 per 15 minutes" allows a burst of 5 and then one every 3 minutes.
 *
 * Hand-written rather than rate-limiter-flexible's memory limiter because that one reads
 * `Date.now()` and arms a timer per key: its windows cannot be tested without sleeping or
 * faking the process's clock, and a flood of distinct keys arms a flood of timers. Here time
 * is passed in, and a full bucket is simply absent.
 */
export type TokenBuckets = {
  /** Milliseconds until `key` holds a whole token; 0 when it holds one now. */
  wait(key: string): number;
  /** Spends one token of `key`; a bucket never goes below empty. */
  take(key: string): void;
  /** Gives back one token of `key` (a spend that turned out not to count). */
  refund(key: string): void;
  /** Refills `key` at once (a full bucket is no bucket). */
  reset(key: string): void;
  /** Keys whose bucket is not full. */
  size(): number;
};

type Bucket = { tokens: number; at: number };

export function createTokenBuckets(options: {
  capacity: number;
  refillMs: number;
  now: () => number;
  /** Buckets kept at most; past it full ones are dropped, then the oldest. @default 100_000 */
  maxKeys?: number;
}): TokenBuckets {
  const { capacity, refillMs, now } = options;
  const maxKeys = options.maxKeys ?? 100_000;
  const perMs = capacity / refillMs;
  const buckets = new Map<string, Bucket>();

  const level = (bucket: Bucket, at: number) =>
    Math.min(capacity, bucket.tokens + (at - bucket.at) * perMs);

  // Bounded memory under a flood of distinct keys (spoofed usernames, many addresses): first
  // drop the buckets that refilled, then the oldest. Forgetting a key only favours a caller
  // who already spreads over more keys than any per-key limit can see.
  const makeRoom = (at: number) => {
    if (buckets.size < maxKeys) return;
    for (const [key, bucket] of buckets) if (level(bucket, at) >= capacity) buckets.delete(key);
    for (const key of buckets.keys()) {
      if (buckets.size < maxKeys) break;
      buckets.delete(key);
    }
  };

  return {
    wait(key) {
      const bucket = buckets.get(key);
      if (bucket === undefined) return 0;
      const tokens = level(bucket, now());
      return tokens >= 1 ? 0 : Math.ceil((1 - tokens) / perMs);
    },
    take(key) {
      const at = now();
      const bucket = buckets.get(key);
      if (bucket === undefined) makeRoom(at);
      const tokens = bucket === undefined ? capacity : level(bucket, at);
      buckets.delete(key); // re-inserted last, so the Map stays oldest-first
      buckets.set(key, { tokens: Math.max(0, tokens - 1), at });
    },
    refund(key) {
      const at = now();
      const bucket = buckets.get(key);
      if (bucket === undefined) return;
      const tokens = level(bucket, at) + 1;
      if (tokens >= capacity) buckets.delete(key);
      else buckets.set(key, { tokens, at });
    },
    reset(key) {
      buckets.delete(key);
    },
    size: () => buckets.size,
  };
}
