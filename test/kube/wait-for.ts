import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `probe` until it returns a value other than undefined, and returns it.
 * `failFast` is asked before each attempt; a string from it (say, "etcd exited
 * with code 1") ends the wait at once instead of at the timeout.
 * Errors thrown by the probe count as "not yet": during start-up, connection
 * refused is the normal answer.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; failFast?: () => string | undefined },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = opts.failFast?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}`, {
        cause: lastError,
      });
    }
    await sleep(opts.intervalMs ?? 200);
  }
}
