import { type ClientReadableStream, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { ChatServiceClient, type ChatStreamResponse } from "../grpc-app/src/gen/chat/v1/chat.ts";

/**
 * What the sender writes in a note's text, so a subscriber can tell a probe (are you live?)
 * from a measured note and knows when the measured one left: `m <phase> <seq> <sentAtMs>`.
 */
export const probeText = (probe: number) => `p ${probe}`;
export const measuredText = (phase: number, seq: number, sentAtMs: number) =>
  `m ${phase} ${seq} ${sentAtMs.toFixed(3)}`;

export type PhaseTally = {
  /** Deliveries of this phase's measured notes, across all subscribers. */
  delivered: number;
  /** Send→receive latency of each delivery, in ms. */
  latenciesMs: number[];
  lastDeliveryAt: number;
};

/**
 * Many ChatStream subscribers of one room in this process, spread over a few HTTP/2
 * connections (one client process with many streams, as a web gateway or a load generator has).
 */
export type SubscriberPool = {
  /** Opens streams until `total` are open, all resuming after `afterId` (no replay). */
  grow(total: number, afterId: number): void;
  size(): number;
  /** Streams the server ended, by status code name. */
  ended(): Record<string, number>;
  /** Resolves once every open stream has seen probe `probe` or a later one. */
  allSawProbe(probe: number, timeoutMs: number): Promise<void>;
  /** Starts counting deliveries of phase `phase`'s measured notes. */
  startPhase(phase: number): PhaseTally;
  /** Resolves once `expected` deliveries of the phase arrived, or after `timeoutMs`. */
  delivered(expected: number, timeoutMs: number): Promise<void>;
  close(): void;
};

export function createSubscriberPool(options: {
  address: string;
  room: string;
  token: string;
  /** HTTP/2 connections to spread the streams over. */
  connections: number;
}): SubscriberPool {
  // A local subchannel pool gives each client its own connection instead of sharing one.
  const clients = Array.from(
    { length: options.connections },
    () =>
      new ChatServiceClient(options.address, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${options.token}`);
  const calls: ClientReadableStream<ChatStreamResponse>[] = [];
  const lastProbe: number[] = [];
  const endedBy: Record<string, number> = {};
  let open = 0;
  let phase = -1;
  let tally: PhaseTally = { delivered: 0, latenciesMs: [], lastDeliveryAt: 0 };
  let waiter: { check: () => boolean; resolve: () => void } | undefined;
  const recheck = () => {
    if (waiter?.check()) {
      const { resolve } = waiter;
      waiter = undefined;
      resolve();
    }
  };
  const until = (check: () => boolean, timeoutMs: number, what: string, rejectLate: boolean) =>
    new Promise<void>((resolve, reject) => {
      if (check()) return resolve();
      const timer = setTimeout(() => {
        waiter = undefined;
        if (rejectLate) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        else resolve();
      }, timeoutMs);
      waiter = {
        check,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });

  const onMessage = (index: number, message: ChatStreamResponse) => {
    const now = performance.now();
    const parts = (message.note?.text ?? "").split(" ");
    if (parts[0] === "p") {
      lastProbe[index] = Number(parts[1]);
    } else if (parts[0] === "m" && Number(parts[1]) === phase) {
      tally.delivered += 1;
      tally.latenciesMs.push(now - Number(parts[3]));
      tally.lastDeliveryAt = now;
    }
    recheck();
  };

  let probeTarget = 0;
  let deliveryTarget = 0;
  return {
    grow(total, afterId) {
      for (let index = calls.length; index < total; index += 1) {
        const client = clients[index % clients.length] as ChatServiceClient;
        const call = client.chatStream({ room: options.room, afterId }, metadata);
        calls.push(call);
        lastProbe.push(-1);
        open += 1;
        call.on("data", (message: ChatStreamResponse) => onMessage(index, message));
        call.on("error", (error: ServiceError) => {
          open -= 1;
          lastProbe[index] = Number.POSITIVE_INFINITY;
          const name = String(error.code);
          endedBy[name] = (endedBy[name] ?? 0) + 1;
          recheck();
        });
      }
    },
    size: () => open,
    ended: () => ({ ...endedBy }),
    allSawProbe(probe, timeoutMs) {
      probeTarget = probe;
      return until(
        () => lastProbe.every((seen) => seen >= probeTarget),
        timeoutMs,
        `probe ${probe} at ${calls.length} subscribers`,
        true,
      );
    },
    startPhase(next) {
      phase = next;
      tally = { delivered: 0, latenciesMs: [], lastDeliveryAt: 0 };
      return tally;
    },
    delivered(expected, timeoutMs) {
      deliveryTarget = expected;
      return until(() => tally.delivered >= deliveryTarget, timeoutMs, "deliveries", false);
    },
    close() {
      for (const call of calls) call.cancel();
      for (const client of clients) client.close();
    },
  };
}
