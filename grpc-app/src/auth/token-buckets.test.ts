import { describe, expect, it } from "vitest";
import { createTokenBuckets } from "./token-buckets.ts";

const minute = 60_000;

function clocked(capacity: number, refillMs: number, maxKeys?: number) {
  let at = 1_000_000;
  const buckets = createTokenBuckets({ capacity, refillMs, now: () => at, maxKeys });
  return { buckets, advance: (ms: number) => (at += ms) };
}

describe("token buckets", () => {
  it("allows a burst of the capacity, then says how long until the next token", () => {
    const { buckets } = clocked(3, 3 * minute);

    for (let i = 0; i < 3; i += 1) {
      expect(buckets.wait("k")).toBe(0);
      buckets.take("k");
    }

    expect(buckets.wait("k")).toBe(minute);
  });

  it("refills evenly: one token per refillMs/capacity, all of them after refillMs", () => {
    const { buckets, advance } = clocked(5, 5 * minute);
    for (let i = 0; i < 5; i += 1) buckets.take("k");

    advance(minute - 1);
    expect(buckets.wait("k")).toBe(1);
    advance(1);
    expect(buckets.wait("k")).toBe(0);
    advance(4 * minute);
    for (let i = 0; i < 5; i += 1) buckets.take("k");
    expect(buckets.wait("k")).toBeGreaterThan(0);
  });

  it("keeps keys apart", () => {
    const { buckets } = clocked(1, minute);

    buckets.take("a");

    expect(buckets.wait("a")).toBe(minute);
    expect(buckets.wait("b")).toBe(0);
  });

  it("gives back one token on refund, never more than the capacity", () => {
    const { buckets } = clocked(2, 2 * minute);
    buckets.take("a");
    buckets.take("a");

    buckets.refund("a");
    expect(buckets.wait("a")).toBe(0);
    buckets.take("a");
    expect(buckets.wait("a")).toBe(minute);
    buckets.refund("a");
    buckets.refund("a");
    buckets.refund("a");

    expect(buckets.size()).toBe(0);
  });

  it("refills a key at once on reset", () => {
    const { buckets } = clocked(1, minute);
    buckets.take("a");

    buckets.reset("a");

    expect(buckets.wait("a")).toBe(0);
  });

  it("keeps at most maxKeys buckets, dropping refilled ones before the oldest", () => {
    const { buckets, advance } = clocked(2, minute, 2);
    buckets.take("refilled");
    advance(minute);
    buckets.take("kept");
    buckets.take("kept");

    buckets.take("new");
    expect(buckets.size()).toBe(2);
    expect(buckets.wait("kept")).toBeGreaterThan(0);

    buckets.take("newer");
    expect(buckets.size()).toBe(2);
    expect(buckets.wait("kept")).toBe(0); // no bucket had refilled, so the oldest went
    expect(buckets.wait("new")).toBe(0);
  });
});
