import { randomBytes } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthServiceClient, ChatServiceClient } from "../../../grpc-app/src/gen/chat/v1/chat.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../../harness/postgres.ts";
import { login, logout, newRoom, openStream, refreshSession, sendNote } from "./chat-fixture.ts";
import { addUser, type ServerProcess, spawnChatServer } from "./server-process.ts";

const revocationCheckMs = 300;

// Two chat server processes, as two pods, on one PostgreSQL: what one replica revokes, the
// other refuses; a refresh token spent on one cannot be spent again on the other.
describe.runIf(postgresPresent())("sessions across two replicas on one PostgreSQL", () => {
  let postgres: PostgresServer;
  let a: ServerProcess;
  let b: ServerProcess;
  const clients: { auth: AuthServiceClient; chat: ChatServiceClient }[] = [];
  const password = randomBytes(12).toString("base64url");
  const on = (server: ServerProcess) => {
    const client = {
      auth: new AuthServiceClient(server.address, credentials.createInsecure()),
      chat: new ChatServiceClient(server.address, credentials.createInsecure()),
    };
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    postgres = await startPostgres();
    const env = {
      DATABASE_URL: await postgres.createDatabase(),
      TOKEN_SECRET: randomBytes(32).toString("base64url"),
      REVOCATION_CHECK_MS: String(revocationCheckMs),
      // Every second spend is a replay here, however soon (no second-tab grace).
      REFRESH_REUSE_GRACE_MS: "0",
    };
    const added = await addUser("alice", password, env);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    [a, b] = await Promise.all([spawnChatServer("A", env), spawnChatServer("B", env)]);
  });
  afterAll(async () => {
    for (const client of clients) {
      client.auth.close();
      client.chat.close();
    }
    for (const server of [a, b]) server?.child.kill("SIGKILL");
    await postgres?.stop();
  });

  it("refuses on B the token logged out on A, and ends B's open stream of it", async () => {
    // Prepare
    const [onA, onB] = [on(a), on(b)];
    const session = await login(onA.auth, "alice", password);
    const room = newRoom();
    const reader = openStream(onB.chat, session.token, room);
    await sendNote(onB.chat, session.token, room, "before logout");
    await reader.received(1);
    // Act
    const started = performance.now();
    await logout(onA.auth, { token: session.token });
    // Settled at once: it is refused while the stream's end is awaited, and an unobserved
    // rejection would be an unhandled one.
    const refusedOnB = sendNote(onB.chat, session.token, room, "after logout").then(
      () => "sent",
      (error: unknown) => error,
    );
    const ended = await reader.ended;
    const streamEndedMs = performance.now() - started;
    // Assess
    console.info(
      `revocation across replicas: SendNote on B refused at once; B's stream ended ` +
        `${Math.round(streamEndedMs)} ms after the logout on A (check every ${revocationCheckMs} ms)`,
    );
    expect(await refusedOnB).toMatchObject({
      code: status.UNAUTHENTICATED,
      details: "token revoked; log in again",
    });
    expect(ended).toMatchObject({ code: status.UNAUTHENTICATED });
    expect(streamEndedMs).toBeLessThan(revocationCheckMs + 1_500);
    await expect(refreshSession(onB.auth, session.refreshToken)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });

  it("rotates a refresh token spent on B for a session started on A, and refuses it replayed on A", async () => {
    // Prepare
    const [onA, onB] = [on(a), on(b)];
    const session = await login(onA.auth, "alice", password);
    // Act
    const renewed = await refreshSession(onB.auth, session.refreshToken);
    const replay = refreshSession(onA.auth, session.refreshToken);
    // Assess
    await expect(replay).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    expect(renewed.refreshToken).not.toBe(session.refreshToken);
    // The replay ended the session on both replicas: the renewed tokens are dead too.
    for (const client of [onA, onB]) {
      await expect(sendNote(client.chat, renewed.token, newRoom(), "x")).rejects.toMatchObject({
        code: status.UNAUTHENTICATED,
      });
    }
    await expect(refreshSession(onA.auth, renewed.refreshToken)).rejects.toMatchObject({
      code: status.UNAUTHENTICATED,
    });
  });
});
