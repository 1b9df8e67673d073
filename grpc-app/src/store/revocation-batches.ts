import type { TokenRef } from "./chat-store.ts";

/** Which of `tokens` were revoked: a store's `revokedAmong`. */
export type RevocationLookup = (tokens: readonly TokenRef[]) => Promise<Set<string>>;

type Waiter = {
  tokens: readonly TokenRef[];
  resolve: (revoked: Set<string>) => void;
  reject: (error: unknown) => void;
};

/**
 * One revocation query for many callers. A check that arrives while no query runs goes out at
 * once; one that arrives while a query runs waits for it and then goes out in one query with
 * every check that arrived meanwhile. A check never joins a query that started before it
 * arrived, so it sees every revocation committed before it was asked, as an unbatched query.
 *
 * Every authenticated call and every stream that opens asks: 1,000 streams reconnecting at
 * once were 1,000 queries in the pool's queue, ahead of the notes being sent and each holding
 * its pending state until its turn (README, "Memory per stream").
 */
export function batchRevocationChecks(lookup: RevocationLookup): RevocationLookup {
  let running = false;
  let waiting: Waiter[] = [];

  const run = async (batch: Waiter[]) => {
    running = true;
    try {
      const tokens = new Map(batch.flatMap((w) => w.tokens.map((t) => [t.jti, t] as const)));
      const revoked = await lookup([...tokens.values()]);
      for (const w of batch) {
        w.resolve(new Set(w.tokens.filter((t) => revoked.has(t.jti)).map((t) => t.jti)));
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      running = false;
      const next = waiting;
      waiting = [];
      if (next.length > 0) void run(next);
    }
  };

  return (tokens) =>
    new Promise<Set<string>>((resolve, reject) => {
      const waiter = { tokens, resolve, reject };
      if (running) waiting.push(waiter);
      else void run([waiter]);
    });
}
