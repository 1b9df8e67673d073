import { setTimeout as delay } from "node:timers/promises";
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { AuthServiceClient, ChatServiceClient } from "../grpc-app/src/gen/chat/v1/chat.ts";

/** One SendNote caller on its own connection, apart from the subscribers'. */
export type Sender = {
  /** Sends one note; resolves with its id. */
  send(text: string): Promise<number>;
  /**
   * Sends `count` notes at `perSecond`, on a fixed schedule (a slow reply does not delay the
   * next send), and resolves when all are acknowledged, with the time the first left.
   */
  atRate(
    count: number,
    perSecond: number,
    text: (seq: number, sentAtMs: number) => string,
  ): Promise<{ firstSentAt: number; lastSentAt: number; lastId: number; failed: number }>;
  close(): void;
};

export function createSender(address: string, room: string, token: string): Sender {
  const client = new ChatServiceClient(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  const send = (text: string) =>
    new Promise<number>((resolve, reject) =>
      client.sendNote({ room, text }, metadata, (error: ServiceError | null, response) =>
        error ? reject(error) : resolve(response.id),
      ),
    );
  return {
    send,
    async atRate(count, perSecond, text) {
      const periodMs = 1000 / perSecond;
      const start = performance.now();
      const sends: Promise<number | undefined>[] = [];
      let failed = 0;
      for (let seq = 0; seq < count; seq += 1) {
        const wait = start + seq * periodMs - performance.now();
        if (wait > 0) await delay(wait);
        sends.push(
          send(text(seq, performance.now())).catch(() => {
            failed += 1;
            return undefined;
          }),
        );
      }
      // When this process cannot keep the schedule (its event loop is busy receiving), the
      // last send leaves late: the caller compares the rate achieved with the rate asked.
      const lastSentAt = performance.now();
      const ids = await Promise.all(sends);
      return {
        firstSentAt: start,
        lastSentAt,
        lastId: Math.max(0, ...ids.map((id) => id ?? 0)),
        failed,
      };
    },
    close: () => client.close(),
  };
}

/** Logs in on the chat server and returns the token (the baseline needs none). */
export function login(address: string, username: string, password: string): Promise<string> {
  const client = new AuthServiceClient(address, credentials.createInsecure());
  return new Promise<string>((resolve, reject) =>
    client.login({ username, password }, (error, response) => {
      client.close();
      if (error) reject(error);
      else resolve(response.token);
    }),
  );
}
