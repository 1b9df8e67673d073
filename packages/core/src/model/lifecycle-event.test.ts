import { describe, expect, it } from "vitest";
import { LifecycleDetail } from "./lifecycle-event.ts";

const succeeded: LifecycleDetail = {
  status: "succeeded",
  stage: "production",
  service: "chat",
  repository: "acme/chat",
  commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
  sequence: 42,
  deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
  buildId: "slipway-production:0b0f",
  imageDigest: "123456789012.dkr.ecr.us-east-1.amazonaws.com/chat@sha256:4f4f",
  at: "2026-11-26T10:12:00.000Z",
  links: { appUrl: "https://chat.example.com" },
};

describe("LifecycleDetail", () => {
  it("accepts every ledger state and a failed build", () => {
    for (const status of [
      "queued",
      "building",
      "held",
      "deploying",
      "succeeded",
      "failed",
      "superseded",
      "rolling_back",
      "rolled_back",
      "replaced",
      "build_failed",
    ]) {
      expect(LifecycleDetail.safeParse({ ...succeeded, status }).success, status).toBe(true);
    }
  });

  it("rejects an unknown status and a detail without its correlation id", () => {
    expect(LifecycleDetail.safeParse({ ...succeeded, status: "deployed" }).success).toBe(false);
    const { deliveryId: _, ...withoutDelivery } = succeeded;
    expect(LifecycleDetail.safeParse(withoutDelivery).success).toBe(false);
  });
});
