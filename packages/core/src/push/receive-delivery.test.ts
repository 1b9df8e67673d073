import { describe, expect, it } from "vitest";
import { githubPayload } from "../../../../test/events/github/fixtures.ts";
import { PushEvent } from "../model/push-event.ts";
import { deps as testDeps } from "../testing/deps.ts";
import { SkipReason } from "./build-plan.ts";
import { receiveDelivery } from "./receive-delivery.ts";

const deps = () => testDeps({ now: new Date("2026-11-25T10:00:00.000Z") }).deps;

describe("receiveDelivery", () => {
  it("answers a ping with pong", async () => {
    const outcome = await receiveDelivery(deps(), { kind: "ping", id: "d-1" });

    expect(outcome).toEqual({ kind: "pong" });
  });

  it("skips an event that is not a push and starts nothing", async () => {
    const d = deps();

    const outcome = await receiveDelivery(d, { kind: "other", id: "d-1", event: "issues" });

    expect(outcome).toEqual({ kind: "skipped", reason: SkipReason.notAPush });
    expect(d.builds.started).toEqual([]);
  });

  it("accepts a valid push", async () => {
    const outcome = await receiveDelivery(deps(), {
      kind: "push",
      id: "d-1",
      push: PushEvent.parse(githubPayload("push-branch")),
      bodyDigest: "b".repeat(64),
    });

    expect(outcome).toMatchObject({ kind: "accepted", sequence: 1 });
  });
});
