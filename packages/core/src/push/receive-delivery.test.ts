import { describe, expect, it } from "vitest";
import { githubPayload } from "../../../../test/events/github/fixtures.ts";
import { deps as testDeps } from "../testing/deps.ts";
import { SkipReason } from "./build-plan.ts";
import { receiveDelivery } from "./receive-delivery.ts";

const deps = () => testDeps({ now: new Date("2026-11-25T10:00:00.000Z") }).deps;

describe("receiveDelivery", () => {
  it("answers a ping with pong", async () => {
    const outcome = await receiveDelivery(deps(), {
      id: "d-1",
      event: "ping",
      payload: githubPayload("ping"),
    });

    expect(outcome).toEqual({ kind: "pong" });
  });

  it("skips an event that is not a push and starts nothing", async () => {
    const d = deps();

    const outcome = await receiveDelivery(d, {
      id: "d-1",
      event: "issues",
      payload: githubPayload("issues-opened"),
    });

    expect(outcome).toEqual({ kind: "skipped", reason: SkipReason.notAPush });
    expect(d.builds.started).toEqual([]);
  });

  it("rejects a push payload without a ref, naming the field but not its values", async () => {
    const payload = githubPayload("push-branch");
    delete payload.ref;
    payload.head_commit.message = "secret-looking text";
    payload.after = "not-a-sha";

    const outcome = await receiveDelivery(deps(), { id: "d-1", event: "push", payload });

    expect(outcome).toMatchObject({ kind: "rejected", reason: "malformed-payload" });
    const detail = outcome.kind === "rejected" ? outcome.detail : "";
    expect(detail).toMatch(/ref/);
    expect(detail).toMatch(/after/);
    expect(detail).not.toMatch(/not-a-sha|secret-looking/);
  });

  it("accepts a valid push", async () => {
    const outcome = await receiveDelivery(deps(), {
      id: "d-1",
      event: "push",
      payload: githubPayload("push-branch"),
    });

    expect(outcome).toMatchObject({ kind: "accepted", sequence: 1 });
  });
});
