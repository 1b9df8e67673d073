import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../grpc-app/src/store/memory-store.ts";
import { newRoom, openStream, sendNote, startTestServer, watchHealth } from "./chat-fixture.ts";

describe("graceful shutdown", () => {
  it("goes NOT_SERVING, ends open streams with UNAVAILABLE and refuses new calls", async () => {
    const t = await startTestServer(createMemoryStore());
    const { token } = await t.signIn();
    const room = newRoom();
    const health = watchHealth(t.server.address);
    await health.next((s) => s === "SERVING");
    const reader = openStream(t.chat, token, room);
    await t.logs.next((e) => e.event === "stream.opened" && e.room === room);

    const stopping = t.server.shutdown(5000);
    const ended = await reader.ended;
    const notServing = await health.next((s) => s === "NOT_SERVING");
    health.cancel();
    const refused = expect(sendNote(t.chat, token, room, "too late")).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    await stopping;

    expect(ended).toMatchObject({
      code: status.UNAVAILABLE,
      details: "server shutting down; resume with after_id",
    });
    expect(notServing).toBe("NOT_SERVING");
    await refused;
    expect(t.logs.entries.find((e) => e.event === "server.stopped")).toMatchObject({
      how: "closed",
    });
    await t.stop();
  });

  it("cuts calls still open when the grace period ends", async () => {
    const t = await startTestServer(createMemoryStore());
    const health = watchHealth(t.server.address);
    await health.next((s) => s === "SERVING");
    const started = Date.now();

    // The open health watch keeps its connection busy, so only the grace deadline ends it.
    await t.server.shutdown(300);
    const took = Date.now() - started;
    health.cancel();

    expect(t.logs.entries.find((e) => e.event === "server.stopped")).toMatchObject({
      how: "expired",
    });
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(2000);
    await t.stop();
  });
});
