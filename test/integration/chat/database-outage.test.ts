import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresStore } from "../../../grpc-app/src/store/postgres-store.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../../harness/postgres.ts";
import {
  newRoom,
  openStream,
  startTestServer,
  type TestServer,
  tapLogs,
  watchHealth,
} from "./chat-fixture.ts";

describe.runIf(postgresPresent())("when PostgreSQL becomes unreachable", () => {
  let postgres: PostgresServer;
  let t: TestServer;

  beforeAll(async () => {
    postgres = await startPostgres();
    const store = await createPostgresStore({
      connectionString: await postgres.createDatabase(),
      logger: tapLogs().logger,
    });
    t = await startTestServer(store, { HEALTH_CHECK_INTERVAL_MS: "100" });
  });
  afterAll(async () => {
    await t?.stop();
    await t?.server.store.close();
    await postgres?.stop();
  });

  it("reports NOT_SERVING and ends open streams with UNAVAILABLE so clients go elsewhere", async () => {
    const { token } = await t.signIn();
    const room = newRoom();
    const health = watchHealth(t.server.address);
    await health.next((s) => s === "SERVING");
    const reader = openStream(t.chat, token, room);
    await t.logs.next((e) => e.event === "stream.opened" && e.room === room);

    await postgres.stop();
    const ended = await reader.ended;
    const notServing = await health.next((s) => s === "NOT_SERVING");
    health.cancel();

    expect(ended.code).toBe(status.UNAVAILABLE);
    expect(notServing).toBe("NOT_SERVING");
  });
});
