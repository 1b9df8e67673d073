import pLimit from "p-limit";

/**
 * Password checks running at once, and how many may wait. Each scrypt takes ~68 ms of a
 * core (and 16 MiB), so ~11 logins/s fill a 1-core replica: past the queue a login is
 * refused at once instead of queueing without bound, and chat calls keep their CPU.
 */
export type HashSlots = {
  /**
   * Runs `check` in a slot, or answers busy when `concurrency + queue` are taken, or when
   * one of `owners` (the client address, the username) already holds `perOwner` of them.
   */
  run<T>(
    owners: readonly string[],
    check: () => Promise<T>,
  ): Promise<{ kind: "done"; value: T } | { kind: "busy" }>;
  /** Checks running now and waiting, the most that ever ran at once, and all run so far. */
  stats(): { active: number; waiting: number; peak: number; total: number };
};

export function createHashSlots(options: {
  concurrency: number;
  queue: number;
  /**
   * Slots one owner may hold, running or waiting. Without it one address stuffing usernames,
   * or a botnet guessing one account, fills the queue and everyone else is refused busy
   * until its budget is spent (the login brute-force drill showed both).
   */
  perOwner: number;
}): HashSlots {
  const limit = pLimit(options.concurrency);
  const held = new Map<string, number>();
  // Counted here, not from p-limit's pendingCount, which lags a microtask behind a call.
  let admitted = 0;
  let active = 0;
  let peak = 0;
  let total = 0;
  return {
    async run(owners, check) {
      const full = owners.some((owner) => (held.get(owner) ?? 0) >= options.perOwner);
      if (full || admitted >= options.concurrency + options.queue) return { kind: "busy" };
      admitted += 1;
      for (const owner of owners) held.set(owner, (held.get(owner) ?? 0) + 1);
      try {
        const value = await limit(async () => {
          active += 1;
          total += 1;
          peak = Math.max(peak, active);
          try {
            return await check();
          } finally {
            active -= 1;
          }
        });
        return { kind: "done", value };
      } finally {
        admitted -= 1;
        for (const owner of owners) {
          const left = (held.get(owner) ?? 1) - 1;
          if (left > 0) held.set(owner, left);
          else held.delete(owner);
        }
      }
    },
    stats: () => ({ active, waiting: admitted - active, peak, total }),
  };
}
