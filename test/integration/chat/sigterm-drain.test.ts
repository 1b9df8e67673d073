import { randomBytes } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createChatClient,
  passwordSession,
  type Retrying,
} from "../../../grpc-app/src/client/chat-client.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../../harness/postgres.ts";
import { newRoom, watchHealth } from "./chat-fixture.ts";
import { addUser, type ServerProcess, spawnChatServer } from "./server-process.ts";

const total = 400;
const drainAfter = 100;
const graceMs = 5000;

describe.runIf(postgresPresent())("SIGTERM during a rolling deploy", () => {
  let postgres: PostgresServer;
  let a: ServerProcess;
  let b: ServerProcess;
  const password = randomBytes(12).toString("base64url");

  beforeAll(async () => {
    postgres = await startPostgres();
    const env = {
      DATABASE_URL: await postgres.createDatabase(),
      TOKEN_SECRET: randomBytes(32).toString("base64url"),
      SHUTDOWN_GRACE_MS: String(graceMs),
    };
    expect(await addUser("alice", password, env)).toMatchObject({ code: 0 });
    [a, b] = await Promise.all([spawnChatServer("A", env), spawnChatServer("B", env)]);
  });
  afterAll(async () => {
    for (const server of [a, b]) server?.child.kill("SIGKILL");
    await postgres?.stop();
  });

  it("reports NOT_SERVING, ends streams with UNAVAILABLE, exits 0 within the grace, and loses nothing", async () => {
    const room = newRoom();
    const health = watchHealth(a.address);
    await health.next((s) => s === "SERVING");
    // A probe's watch would keep A's connection open for the whole grace: close it once told.
    const notServing = health
      .next((s) => s === "NOT_SERVING")
      .then((s) => {
        health.cancel();
        return s;
      });
    // Sender and subscriber both start on A and fail over to B, as clients of a draining pod do.
    const sender = createChatClient({ address: [a.address, b.address] });
    const senderAuth = passwordSession(sender, "alice", password);
    const subscriber = createChatClient({ address: [a.address, b.address] });
    const received: number[] = [];
    const retries: Retrying[] = [];
    let lastAcked = Number.POSITIVE_INFINITY;
    let caughtUp: () => void = () => {};
    const allReceived = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    let signalledAt = 0;
    const following = subscriber.follow({
      auth: passwordSession(subscriber, "alice", password),
      room,
      onNote(note) {
        received.push(note.id);
        if (received.length === drainAfter) {
          signalledAt = Date.now();
          a.child.kill("SIGTERM");
        }
        if (note.id >= lastAcked) caughtUp();
      },
      onRetry: (event) => retries.push(event),
    });

    const acked: number[] = [];
    for (let i = 0; i < total; i += 1)
      acked.push((await sender.send(senderAuth, room, `note ${i}`)).id);
    lastAcked = acked.at(-1) ?? 0;
    if (following.cursor() >= lastAcked) caughtUp();
    await allReceived;
    following.stop();
    await following.done;
    sender.close();
    subscriber.close();
    const exit = await a.exited;
    const stopped = await a.logged((e) => e.event === "server.stopped");

    console.info(
      `sigterm-drain: ${total} notes, 2 replicas, A drained after ${drainAfter}; received ` +
        `${received.length}, unacked ${received.filter((id) => !acked.includes(id)).length}, ` +
        `A exited ${exit.at - signalledAt} ms after SIGTERM (${stopped.how})`,
    );
    expect(await notServing).toBe("NOT_SERVING");
    expect(retries[0]).toMatchObject({
      code: status.UNAVAILABLE,
      details: "server shutting down; resume with after_id",
      target: a.address,
    });
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.at - signalledAt).toBeLessThan(graceMs);
    expect(received).toEqual(acked);
  });
});
