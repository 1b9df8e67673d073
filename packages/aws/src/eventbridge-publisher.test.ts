import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { LifecycleDetail } from "@slipway/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-vitest/extend";
import { beforeEach, describe, expect, it } from "vitest";
import { createEventBridgePublisher, maxEntryBytes } from "./eventbridge-publisher.ts";

const eventBridge = mockClient(EventBridgeClient);

function detail(sequence: number, overrides: Partial<LifecycleDetail> = {}): LifecycleDetail {
  return {
    status: "succeeded",
    stage: "production",
    service: "chat",
    repository: "acme/chat",
    commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
    sequence,
    deliveryId: `delivery-${sequence}`,
    at: "2026-11-26T10:12:00.000Z",
    links: {},
    ...overrides,
  };
}

function publisher(dropped: Array<[LifecycleDetail, string]> = []) {
  return createEventBridgePublisher({
    client: new EventBridgeClient({ region: "us-east-1" }),
    busName: "slipway-production-lifecycle",
    onDropped: (d, reason) => dropped.push([d, reason]),
    sleep: async () => {},
  });
}

beforeEach(() => {
  eventBridge.reset();
});

describe("EventBridge lifecycle publisher", () => {
  it("sends each detail as a Slipway Deployment State Change on the Slipway bus", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] });

    const outcome = await publisher().publish([detail(1)]);

    expect(outcome).toEqual({ published: 1, failed: 0 });
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: "slipway-production-lifecycle",
          Source: "slipway",
          DetailType: "Slipway Deployment State Change",
          Detail: JSON.stringify(detail(1)),
          Time: new Date("2026-11-26T10:12:00.000Z"),
        },
      ],
    });
  });

  it("retries only the entry that failed, and loses nothing", async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: "e1" },
          { ErrorCode: "InternalFailure", ErrorMessage: "try again" },
          { EventId: "e3" },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e2" }] });

    const outcome = await publisher().publish([detail(1), detail(2), detail(3)]);

    expect(outcome).toEqual({ published: 3, failed: 0 });
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(
      calls[1]?.args[0].input.Entries?.map((e) => JSON.parse(e.Detail ?? "{}").sequence),
    ).toEqual([2]);
  });

  it("reports an entry that keeps failing instead of throwing", async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error("ThrottlingException"));
    const dropped: Array<[LifecycleDetail, string]> = [];

    const outcome = await publisher(dropped).publish([detail(1)]);

    expect(outcome).toEqual({ published: 0, failed: 1 });
    expect(dropped).toEqual([[detail(1), expect.stringContaining("ThrottlingException")]]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(4);
  });

  it("refuses an entry over 256 KB without sending it", async () => {
    const dropped: Array<[LifecycleDetail, string]> = [];
    const huge = detail(1, { buildId: "x".repeat(maxEntryBytes) });

    const outcome = await publisher(dropped).publish([huge]);

    expect(outcome).toEqual({ published: 0, failed: 1 });
    expect(dropped[0]?.[1]).toMatch(/exceeds/);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it("splits more than ten events into calls of at most ten", async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));

    const outcome = await publisher().publish(Array.from({ length: 23 }, (_, i) => detail(i + 1)));

    expect(outcome).toEqual({ published: 23, failed: 0 });
    expect(
      eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length),
    ).toEqual([10, 10, 3]);
  });
});
