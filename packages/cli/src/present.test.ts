import { createMemoryLedger, seedDeployment } from "@slipway/ledger/testing";
import { describe, expect, it } from "vitest";
import { present } from "./present.ts";

const trace = {
  stage: "dev",
  service: "chat",
  sequence: 1,
  commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  deliveryId: "fad32d6e-590f-420e-9ee5-2d543362495b",
  state: "succeeded" as const,
  steps: [
    { step: "push received" as const, at: "2026-11-26T01:54:35.461Z" },
    { step: "build started" as const, at: "2026-11-26T01:54:35.565Z", sincePreviousMs: 104 },
  ],
  links: { buildLog: "https://builds.example.test/1" },
};

describe("present", () => {
  it("prints text and --json from the same value", () => {
    const result = { command: "trace" as const, stage: "dev", value: [trace] };

    const text = present(result, false);
    const json = present(result, true);

    expect(JSON.parse(json)).toEqual([trace]);
    expect(text).toContain(
      "dev/chat #1 6113728 (delivery fad32d6e-590f-420e-9ee5-2d543362495b): succeeded",
    );
    expect(text).toMatch(/2026-11-26T01:54:35.565Z\s+\+104 ms\s+build started/);
    expect(text).toContain("build log: https://builds.example.test/1");
  });

  it("says so when a stage has no deployments", () => {
    expect(present({ command: "history", stage: "dev", value: [] }, false)).toBe("no deployments");
  });

  it("never lets a commit title's control characters reach the terminal, in text or --json", async () => {
    const ledger = createMemoryLedger();
    const record = await seedDeployment(ledger, { stage: "dev", sequence: 1 });
    // Clear the screen, move the cursor home, a C1 CSI, and a right-to-left override.
    const hostile = { ...record, commitTitle: "fix\u001b[2J\u001b[H\u009b31mok\u202egnp.exe" };
    const result = { command: "history" as const, stage: "dev", value: [hostile] };

    const outputs = [present(result, false), present(result, true)];

    for (const output of outputs) {
      for (const raw of ["\u001b", "\u009b", "\u202e"]) expect(output).not.toContain(raw);
      expect(output).toContain("\\u001b[2J");
    }
    expect(JSON.parse(outputs[1] ?? "")[0].commitTitle).toBe(hostile.commitTitle);
  });

  it("says what an unpin of a stage no longer pinned deployed", () => {
    const value = {
      kind: "not-pinned" as const,
      deployed: {
        sequence: 4,
        outcome: { kind: "held" as const, reason: "stage dev is pinned by ana: freeze" },
      },
    };

    const text = present({ command: "unpin", stage: "dev", value }, false);

    expect(text).toBe(
      "dev was not pinned\ndeployed held #4: held (stage dev is pinned by ana: freeze)",
    );
  });
});
