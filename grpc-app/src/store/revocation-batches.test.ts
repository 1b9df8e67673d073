import { describe, expect, it } from "vitest";
import type { TokenRef } from "./chat-store.ts";
import { batchRevocationChecks } from "./revocation-batches.ts";

const token = (jti: string): TokenRef => ({ jti, sessionId: `session-${jti}` });

/** A lookup whose queries the test answers one by one, recording what each asked. */
function controlledLookup() {
  const queries: Array<{
    jtis: string[];
    answer: (revoked: string[]) => void;
    fail: (error: Error) => void;
  }> = [];
  const lookup = (tokens: readonly TokenRef[]) =>
    new Promise<Set<string>>((resolve, reject) => {
      queries.push({
        jtis: tokens.map((t) => t.jti),
        answer: (revoked) => resolve(new Set(revoked)),
        fail: reject,
      });
    });
  return { lookup, queries };
}

describe("batchRevocationChecks", () => {
  it("sends a check at once when no query runs", async () => {
    const { lookup, queries } = controlledLookup();
    const check = batchRevocationChecks(lookup);

    const result = check([token("a")]);
    queries[0]?.answer(["a"]);

    expect(queries.map((q) => q.jtis)).toEqual([["a"]]);
    expect(await result).toEqual(new Set(["a"]));
  });

  it("sends the checks that arrive during a query together, after it, each told only of its own tokens", async () => {
    const { lookup, queries } = controlledLookup();
    const check = batchRevocationChecks(lookup);
    const first = check([token("a")]);
    const second = check([token("b")]);
    const third = check([token("c"), token("b")]);

    expect(queries).toHaveLength(1);
    queries[0]?.answer([]);
    await first;
    await Promise.resolve();
    expect(queries.map((q) => q.jtis)).toEqual([["a"], ["b", "c"]]);
    queries[1]?.answer(["b"]);

    expect(await second).toEqual(new Set(["b"]));
    expect(await third).toEqual(new Set(["b"]));
  });

  it("never answers a check from a query that started before the check arrived", async () => {
    const { lookup, queries } = controlledLookup();
    const check = batchRevocationChecks(lookup);
    void check([token("a")]);
    const late = check([token("a")]);

    // The running query says "a" was not revoked; a revocation then commits before the next.
    queries[0]?.answer([]);
    await Promise.resolve();
    await Promise.resolve();
    queries[1]?.answer(["a"]);

    expect(await late).toEqual(new Set(["a"]));
  });

  it("fails every check of a batch whose query fails, and keeps serving the next", async () => {
    const { lookup, queries } = controlledLookup();
    const check = batchRevocationChecks(lookup);
    const failing = check([token("a")]);
    queries[0]?.fail(new Error("database unavailable"));
    await expect(failing).rejects.toThrow("database unavailable");

    const next = check([token("b")]);
    queries[1]?.answer([]);

    expect(await next).toEqual(new Set());
  });

  it("keeps serving after a lookup that throws before it returns a promise", async () => {
    let calls = 0;
    const check = batchRevocationChecks((tokens) => {
      calls += 1;
      if (calls === 1) throw new Error("bad statement");
      return Promise.resolve(new Set(tokens.map((t) => t.jti)));
    });

    await expect(check([token("a")])).rejects.toThrow("bad statement");

    expect(await check([token("b")])).toEqual(new Set(["b"]));
  });
});
