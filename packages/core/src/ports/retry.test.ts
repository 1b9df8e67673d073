import { describe, expect, it } from "vitest";
import { ConflictError, TransientError } from "./infrastructure-errors.ts";
import { backoffDelay, retryTransient } from "./retry.ts";

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };

describe("retryTransient", () => {
  it("retries transient failures with growing delays and returns the first success", async () => {
    const delays: number[] = [];
    let calls = 0;

    const value = await retryTransient(
      { sleep: async (ms) => void delays.push(ms), random: () => 0 },
      policy,
      async () => {
        calls++;
        if (calls < 4) throw new TransientError("get");
        return "ok";
      },
    );

    expect(value).toBe("ok");
    expect(delays).toEqual([100, 200, 300]);
  });

  it("throws the last transient error once the attempts are spent", async () => {
    const deps = { sleep: async () => {}, random: () => 0 };

    await expect(
      retryTransient(deps, policy, async () => {
        throw new TransientError("patch");
      }),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it("does not retry other errors", async () => {
    let calls = 0;
    const deps = { sleep: async () => {}, random: () => 0 };

    await expect(
      retryTransient(deps, policy, async () => {
        calls++;
        throw new ConflictError("patch");
      }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(calls).toBe(1);
  });
});

describe("backoffDelay", () => {
  it("adds up to half again as jitter", () => {
    expect(backoffDelay(policy, 1, () => 0.999)).toBe(150);
  });
});
