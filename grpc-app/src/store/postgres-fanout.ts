import pg from "pg";
import { z } from "zod";
import type { Logger } from "../log/logger.ts";
import { type StoredNote, StoreUnavailableError, type SubscriptionEvent } from "./chat-store.ts";
import { notesChannel } from "./postgres-schema.ts";

type Listener = (event: SubscriptionEvent) => void;

/** What chat_append NOTIFYs: the whole note, or only its id when it would not fit. */
const Payload = z.object({
  id: z.number().int().positive(),
  room: z.string(),
  author: z.string().optional(),
  text: z.string().optional(),
  sent_at: z.string().optional(),
});

export type Fanout = {
  subscribe(room: string, listener: Listener): () => void;
  listening(): boolean;
  close(): Promise<void>;
};

/**
 * One LISTEN connection per replica that hands each committed note to this replica's
 * subscribers of its room, in commit (= id) order.
 *
 * If the connection drops, notifications sent meanwhile are gone, so every subscriber is told
 * `lost` (its stream ends with UNAVAILABLE and the client resumes from its cursor) and new
 * subscriptions are refused until the connection is back.
 */
export async function startFanout(options: {
  connectionString: string;
  fetchNote: (id: number) => Promise<StoredNote | undefined>;
  logger: Logger;
  retryMs?: number;
}): Promise<Fanout> {
  const { logger } = options;
  const rooms = new Map<string, Set<Listener>>();
  let client: pg.Client | undefined;
  let closed = false;
  // Notifications are handled one after another, so a big note read back by id cannot be
  // overtaken by the small note after it.
  let chain: Promise<void> = Promise.resolve();

  const deliver = (room: string, event: SubscriptionEvent) => {
    for (const listener of [...(rooms.get(room) ?? [])]) listener(event);
  };

  const loseAll = (reason: string) => {
    const all = [...rooms.values()].flatMap((set) => [...set]);
    rooms.clear();
    for (const listener of all) listener({ kind: "lost", reason });
  };

  const handle = async (raw: string | undefined) => {
    const { id, room, author, text, sent_at } = Payload.parse(JSON.parse(raw ?? "null"));
    if (!rooms.has(room)) return;
    const note =
      author !== undefined && text !== undefined && sent_at !== undefined
        ? { id, room, author, text, sentAt: new Date(sent_at) }
        : await options.fetchNote(id);
    if (note === undefined) throw new Error(`notified note ${id} not found`);
    deliver(room, { kind: "note", note });
  };

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.connectionString });
    next.on("notification", (message) => {
      chain = chain
        .then(() => handle(message.payload))
        .catch((error: unknown) => {
          logger.error("fanout.notification.failed", { error });
          loseAll("a notification could not be handled");
        });
    });
    const dropped = (error?: Error) => {
      if (client !== next) return;
      client = undefined;
      next.end().catch(() => {});
      if (closed) return;
      logger.warn("fanout.disconnected", { error });
      loseAll("database connection lost");
      setTimeout(() => void reconnect(), options.retryMs ?? 1000).unref();
    };
    next.on("error", dropped);
    next.on("end", () => dropped());
    await next.connect();
    await next.query(`LISTEN ${notesChannel}`);
    client = next;
  };

  const reconnect = async () => {
    if (closed || client !== undefined) return;
    try {
      await connect();
      logger.info("fanout.reconnected");
    } catch (error) {
      logger.warn("fanout.reconnect.failed", { error });
      setTimeout(() => void reconnect(), options.retryMs ?? 1000).unref();
    }
  };

  await connect();

  return {
    subscribe(room, listener) {
      if (client === undefined) throw new StoreUnavailableError("not listening for notes");
      const set = rooms.get(room) ?? new Set<Listener>();
      set.add(listener);
      rooms.set(room, set);
      return () => {
        set.delete(listener);
        if (set.size === 0 && rooms.get(room) === set) rooms.delete(room);
      };
    },
    listening: () => client !== undefined,
    async close() {
      closed = true;
      loseAll("store closed");
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
