import type {
  Account,
  ChatStore,
  NewNote,
  NewSession,
  StoredNote,
  SubscriptionEvent,
  Unsubscribe,
} from "./chat-store.ts";

type Listener = (event: SubscriptionEvent) => void;

/** Index of the first note with id > afterId; notes are sorted by id. */
function firstAfter(notes: StoredNote[], afterId: number): number {
  let low = 0;
  let high = notes.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((notes[mid]?.id ?? 0) <= afterId) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The embedded default for one process: no server to install. It keeps every note in memory
 * (so it is for demos and tests, not production) and passes the same contract as PostgreSQL.
 */
export function createMemoryStore(): ChatStore {
  let lastId = 0;
  const rooms = new Map<string, StoredNote[]>();
  const listeners = new Map<string, Set<Listener>>();
  const accounts = new Map<string, Account>();
  const sessions = new Map<
    string,
    NewSession & { previousHash?: string; rotatedAt?: Date; endedAt?: Date }
  >();
  const revoked = new Map<string, Date>();
  const forgetExpired = (now: Date) => {
    for (const [id, session] of sessions) if (session.expiresAt <= now) sessions.delete(id);
    for (const [jti, until] of revoked) if (until <= now) revoked.delete(jti);
  };

  return {
    async append(input: NewNote) {
      lastId += 1;
      const note: StoredNote = { ...input, id: lastId, sentAt: new Date() };
      const notes = rooms.get(note.room) ?? [];
      notes.push(note);
      rooms.set(note.room, notes);
      // A listener that unsubscribes during fan-out must not skip the next one: copy first.
      for (const listener of [...(listeners.get(note.room) ?? [])]) {
        listener({ kind: "note", note });
      }
      return note;
    },
    async listAfter(room, afterId, limit) {
      const notes = rooms.get(room) ?? [];
      const start = firstAfter(notes, afterId);
      return notes.slice(start, start + limit);
    },
    async subscribe(room, listener): Promise<Unsubscribe> {
      const set = listeners.get(room) ?? new Set<Listener>();
      set.add(listener);
      listeners.set(room, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(room);
      };
    },
    async findAccount(username) {
      return accounts.get(username);
    },
    async putAccount(account) {
      accounts.set(account.username, { ...account });
    },
    async createSession(session) {
      forgetExpired(new Date());
      sessions.set(session.id, { ...session });
    },
    async rotateSession(id, presentedHash, next, now, graceMs) {
      const session = sessions.get(id);
      if (session === undefined || session.endedAt !== undefined || session.expiresAt <= now) {
        return { kind: "unknown" };
      }
      if (session.refreshHash !== presentedHash) {
        if (session.previousHash !== presentedHash) return { kind: "unknown" };
        const since = now.getTime() - (session.rotatedAt?.getTime() ?? 0);
        if (since < graceMs) return { kind: "superseded" };
        session.endedAt = now;
        return { kind: "reused" };
      }
      Object.assign(session, next, { previousHash: session.refreshHash, rotatedAt: now });
      return { kind: "rotated", username: session.username };
    },
    async endSession(id, now, refreshHash) {
      const session = sessions.get(id);
      if (session === undefined || session.endedAt !== undefined) return;
      if (refreshHash !== undefined && session.refreshHash !== refreshHash) return;
      session.endedAt = now;
    },
    async revokeToken(jti, expiresAt) {
      forgetExpired(new Date());
      revoked.set(jti, expiresAt);
    },
    async revokedAmong(tokens) {
      return new Set(
        tokens
          .filter((t) => revoked.has(t.jti) || sessions.get(t.sessionId)?.endedAt !== undefined)
          .map((t) => t.jti),
      );
    },
    async ping() {
      return true;
    },
    async close() {
      for (const set of listeners.values()) {
        for (const listener of set) listener({ kind: "lost", reason: "store closed" });
      }
      listeners.clear();
    },
  };
}
