import { status } from "@grpc/grpc-js";
import {
  type ChatClient,
  createChatClient,
  type Following,
  type TokenSource,
} from "../../../grpc-app/src/client/chat-client.ts";

/** One subscriber's record: every id in arrival order, and how long each reconnect took. */
export type SubscriberRecord = {
  received: number[];
  /** From a stream's end to the first note on the next stream, in ms. */
  reconnectsMs: number[];
  /** Why each stream ended, by status code name, as the client told its retry. */
  endings: string[];
  /** Retries that did not reach a working stream (the next replica was down or refused). */
  failedAttempts: number;
};

export type SubscriberFleet = {
  records: SubscriberRecord[];
  /** Resolves once every subscriber has received `id` or a later note; rejects after the timeout. */
  allReached(id: number, timeoutMs: number): Promise<void>;
  /** Stops every follower and closes its client; rejects if one ended with an error. */
  stop(): Promise<void>;
};

/**
 * `count` users following one room with the real chat client, each from the whole history.
 * Subscriber i dials the replicas starting at i mod n, so the fleet spreads over them as
 * behind a load balancer, and each moves to the next replica when its stream breaks.
 */
export function startFleet(options: {
  addresses: string[];
  room: string;
  auth: TokenSource;
  count: number;
}): SubscriberFleet {
  const { addresses } = options;
  const clients: ChatClient[] = [];
  const followings: Following[] = [];
  const records: SubscriberRecord[] = [];
  // The lowest id every subscriber has reached is checked only when a waiter exists.
  let waiter: { id: number; resolve: () => void } | undefined;
  const cursors: number[] = [];
  const check = () => {
    if (waiter !== undefined && cursors.every((cursor) => cursor >= (waiter?.id ?? 0))) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve();
    }
  };
  for (let i = 0; i < options.count; i += 1) {
    const start = i % addresses.length;
    const rotated = [...addresses.slice(start), ...addresses.slice(0, start)];
    const client = createChatClient({ address: rotated });
    const received: number[] = [];
    const reconnectsMs: number[] = [];
    let brokeAt: number | undefined;
    const record: SubscriberRecord = { received, reconnectsMs, endings: [], failedAttempts: 0 };
    cursors.push(0);
    records.push(record);
    clients.push(client);
    followings.push(
      client.follow({
        auth: options.auth,
        room: options.room,
        onNote(note) {
          received.push(note.id);
          cursors[i] = note.id;
          if (brokeAt !== undefined) {
            reconnectsMs.push(performance.now() - brokeAt);
            brokeAt = undefined;
          }
          check();
        },
        onRetry(event) {
          // Told once per failed attempt; the first one marks when the stream ended.
          if (brokeAt === undefined) {
            brokeAt = performance.now();
            record.endings.push(status[event.code] ?? String(event.code));
          } else {
            record.failedAttempts += 1;
          }
        },
      }),
    );
  }
  return {
    records,
    allReached(id, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          const behind = cursors.filter((cursor) => cursor < id).length;
          reject(new Error(`${behind} of ${cursors.length} subscribers did not reach note ${id}`));
        }, timeoutMs);
        waiter = {
          id,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        check();
      });
    },
    async stop() {
      for (const following of followings) following.stop();
      await Promise.all(followings.map((following) => following.done));
      for (const client of clients) client.close();
    },
  };
}
