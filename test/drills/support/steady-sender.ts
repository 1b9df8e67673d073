import { setTimeout as delay } from "node:timers/promises";
import {
  type ChatClient,
  createChatClient,
  type TokenSource,
} from "../../../grpc-app/src/client/chat-client.ts";

export type SteadySender = {
  /** Ids acknowledged so far, in acknowledgement order. */
  acked: number[];
  /** Sends that failed even after the client's failover. */
  failures: unknown[];
  /** Resolves once `count` notes in total have been acknowledged (or sending has ended). */
  ackedAtLeast(count: number): Promise<void>;
  /** Stops sending, waits for the notes in flight, and closes the clients. */
  stop(): Promise<void>;
};

/**
 * Sends notes at a fixed rate through every replica in turn (one client per starting replica,
 * each failing over to the next), as many users behind a load balancer would. The schedule is
 * fixed, so a slow reply never delays the next send; at most `maxNotes` are sent.
 */
export function startSteadySender(options: {
  addresses: string[];
  room: string;
  auth: TokenSource;
  perSecond: number;
  maxNotes: number;
}): SteadySender {
  const { addresses } = options;
  const clients: ChatClient[] = addresses.map((_, start) =>
    createChatClient({ address: [...addresses.slice(start), ...addresses.slice(0, start)] }),
  );
  const acked: number[] = [];
  const failures: unknown[] = [];
  const inFlight = new Set<Promise<void>>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let stopped = false;
  const settle = () => {
    for (const waiter of [...waiters]) {
      if (acked.length < waiter.count && !stopped) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  const periodMs = 1000 / options.perSecond;
  const loop = (async () => {
    const start = performance.now();
    for (let seq = 0; seq < options.maxNotes && !stopped; seq += 1) {
      const wait = start + seq * periodMs - performance.now();
      if (wait > 0) await delay(wait);
      if (stopped) break;
      const client = clients[seq % clients.length] as ChatClient;
      const sending = client
        .send(options.auth, options.room, `drill note ${seq}`)
        .then(
          ({ id }) => {
            acked.push(id);
          },
          (error: unknown) => {
            failures.push(error);
          },
        )
        .finally(() => {
          inFlight.delete(sending);
          settle();
        });
      inFlight.add(sending);
    }
    stopped = true;
    settle();
  })();
  return {
    acked,
    failures,
    ackedAtLeast(count) {
      if (acked.length >= count || stopped) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.all([...inFlight]);
      settle();
      for (const client of clients) client.close();
    },
  };
}
