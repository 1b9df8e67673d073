import { LifecycleDetail, lifecycleDetailType, lifecycleEventSource } from "@slipway/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycleAlertPattern } from "../../../infra/patterns.ts";
import {
  type EventRuler,
  eventRulerAvailable,
  startEventRuler,
} from "../../harness/event-ruler.ts";
import { serverAvailable } from "../../harness/requirements.ts";

/** A lifecycle event exactly as the publisher puts it on the bus and EventBridge delivers it. */
function lifecycleEvent(status: string) {
  const detail = LifecycleDetail.parse({
    status,
    stage: "production",
    service: "chat",
    repository: "acme/chat",
    commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    sequence: 42,
    deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    at: "2026-11-26T10:12:00.000Z",
    links: {},
  });
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": lifecycleDetailType,
    source: lifecycleEventSource,
    account: "123456789012",
    time: detail.at,
    region: "us-east-1",
    resources: [],
    detail,
  };
}

describe.runIf(serverAvailable("AWS Event Ruler", eventRulerAvailable()))(
  "the lifecycle alert rule, checked by AWS Event Ruler",
  () => {
    let ruler: EventRuler;
    beforeAll(async () => {
      ruler = await startEventRuler();
    });
    afterAll(async () => {
      await ruler?.stop();
    });

    it.each(["failed", "rolled_back", "replaced", "build_failed"])(
      "alerts on %s",
      async (status) => {
        expect(await ruler.matches(lifecycleAlertPattern(), lifecycleEvent(status))).toBe(true);
      },
    );

    it.each(["queued", "building", "deploying", "rolling_back", "succeeded", "superseded", "held"])(
      "stays quiet on %s",
      async (status) => {
        expect(await ruler.matches(lifecycleAlertPattern(), lifecycleEvent(status))).toBe(false);
      },
    );

    it("ignores the same detail from another source", async () => {
      const event = { ...lifecycleEvent("failed"), source: "not-slipway" };
      expect(await ruler.matches(lifecycleAlertPattern(), event)).toBe(false);
    });
  },
);
