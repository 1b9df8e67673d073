import { randomBytes } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatClient,
  createChatClient,
  type Note,
  passwordSession,
  type Retrying,
} from "../../../grpc-app/src/client/chat-client.ts";
import { ChatServiceClient } from "../../../grpc-app/src/gen/chat/v1/chat.ts";
import { type PostgresServer, postgresPresent, startPostgres } from "../../harness/postgres.ts";
import { newRoom, openStream } from "./chat-fixture.ts";
import { addUser, type ServerProcess, spawnChatServer } from "./server-process.ts";

const total = 1200;
const killAfter = 400;

/** Ids that appear more than once, and acked ids never received. */
function audit(acked: number[], received: number[]) {
  const seen = new Set<number>();
  const duplicates: number[] = [];
  for (const id of received) {
    if (seen.has(id)) duplicates.push(id);
    seen.add(id);
  }
  const lost = acked.filter((id) => !seen.has(id));
  return { duplicates, lost };
}

describe.runIf(postgresPresent())("two replicas on one PostgreSQL", () => {
  let postgres: PostgresServer;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  const password = randomBytes(12).toString("base64url");

  beforeAll(async () => {
    postgres = await startPostgres();
    env = {
      DATABASE_URL: await postgres.createDatabase(),
      TOKEN_SECRET: randomBytes(32).toString("base64url"),
      SUBSCRIBER_BUFFER: "256",
    };
    const added = await addUser("alice", password, env);
    expect(added, added.stderr).toMatchObject({ code: 0 });
    // Both start at once: the migration lock must let exactly one create the schema.
    [a, b] = await Promise.all([spawnChatServer("A", env), spawnChatServer("B", env)]);
  });
  afterAll(async () => {
    for (const server of [a, b]) server?.child.kill("SIGKILL");
    await postgres?.stop();
  });

  it("accepts the account user:add stored, on either replica", async () => {
    for (const server of [a, b]) {
      const client = createChatClient({ address: server.address });
      const response = await client.login("alice", password);
      client.close();
      expect(response.token.length).toBeGreaterThan(20);
    }
  });

  it(`loses and duplicates none of ${total} notes when the subscriber's replica is killed mid-stream`, async () => {
    const room = newRoom();
    const sender: ChatClient = createChatClient({ address: b.address });
    const senderAuth = passwordSession(sender, "alice", password);
    // The subscriber starts on A and, like a client behind a load balancer, lands on B next.
    const subscriber = createChatClient({ address: [a.address, b.address] });
    const received: number[] = [];
    const retries: Retrying[] = [];
    let killedAt = 0;
    let resumedAt = 0;
    // A second subscriber stays on B throughout: B's own fan-out must be complete too.
    const rawB = new ChatServiceClient(b.address, credentials.createInsecure());
    const watchOnB = openStream(rawB, await senderAuth.token(), room);
    let lastAcked = Number.POSITIVE_INFINITY;
    let caughtUp: () => void = () => {};
    const allReceived = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const following = subscriber.follow({
      auth: passwordSession(subscriber, "alice", password),
      room,
      onNote(note: Note) {
        received.push(note.id);
        if (received.length === killAfter) {
          killedAt = Date.now();
          a.child.kill("SIGKILL");
        }
        if (killedAt > 0 && resumedAt === 0 && received.length > killAfter) resumedAt = Date.now();
        if (note.id >= lastAcked) caughtUp();
      },
      onRetry: (event) => retries.push(event),
    });

    const acked: number[] = [];
    for (let i = 0; i < total; i += 1) {
      acked.push((await sender.send(senderAuth, room, `note ${i}`)).id);
    }
    lastAcked = acked.at(-1) ?? 0;
    if (following.cursor() >= lastAcked) caughtUp();
    await allReceived;
    following.stop();
    await following.done;
    const onB = await watchOnB.received(total);
    watchOnB.call.cancel();
    subscriber.close();
    sender.close();
    rawB.close();

    const { duplicates, lost } = audit(acked, received);
    console.info(
      `multi-replica: ${total} notes, 2 replicas, A killed (SIGKILL) after ${killAfter}; ` +
        `received ${received.length}, lost ${lost.length}, duplicated ${duplicates.length}, ` +
        `resumed on B ${resumedAt - killedAt} ms after the kill`,
    );
    expect(await a.exited, a.stderr.join("")).toMatchObject({ signal: "SIGKILL" });
    expect(retries[0]).toMatchObject({ code: status.UNAVAILABLE, target: a.address });
    expect(lost).toEqual([]);
    expect(duplicates).toEqual([]);
    expect(received).toEqual(acked);
    expect(onB.map((n) => n.id)).toEqual(acked);
  });
});
