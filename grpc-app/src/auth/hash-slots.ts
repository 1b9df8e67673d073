import pLimit from "p-limit";

/**
 * Password checks running at once, and how many may wait. Each scrypt takes ~68 ms of a
 * core (and 16 MiB), so ~11 logins/s fill a 1-core replica: past the queue a login is
 * refused at once instead of queueing without bound, and chat calls keep their CPU.
 */
export type HashSlots = {
  /** Runs `check` in a slot, or answers busy when `concurrency + queue` are taken. */
  run<T>(check: () => Promise<T>): Promise<{ kind: "done"; value: T } | { kind: "busy" }>;
  /** Checks running now and waiting, the most that ever ran at once, and all run so far. */
  stats(): { active: number; waiting: number; peak: number; total: number };
};

export function createHashSlots(options: { concurrency: number; queue: number }): HashSlots {
  const limit = pLimit(options.concurrency);
  // Counted here, not from p-limit's pendingCount, which lags a microtask behind a call.
  let admitted = 0;
  let active = 0;
  let peak = 0;
  let total = 0;
  return {
    async run(check) {
      if (admitted >= options.concurrency + options.queue) return { kind: "busy" };
      admitted += 1;
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
      }
    },
    stats: () => ({ active, waiting: admitted - active, peak, total }),
  };
}
