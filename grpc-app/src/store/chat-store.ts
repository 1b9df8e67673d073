/** A stored note. Ids increase in commit order across every room and replica. */
export type StoredNote = {
  id: number;
  room: string;
  author: string;
  text: string;
  sentAt: Date;
};

export type NewNote = Pick<StoredNote, "room" | "author" | "text">;

/** An account as stored: the password only as a hash (see auth/password-hash.ts). */
export type Account = { username: string; passwordHash: string };

/**
 * What a subscription hears: every note appended to its room after it was registered, in id
 * order, or `lost` when the store can no longer promise that (for example the replica's
 * LISTEN connection dropped), after which the subscriber must resume from its cursor.
 */
export type SubscriptionEvent =
  | { kind: "note"; note: StoredNote }
  | { kind: "lost"; reason: string };

export type Unsubscribe = () => void;

/**
 * The chat server's one port to storage and fan-out. Two adapters implement it (memory and
 * PostgreSQL) and one contract suite tests both.
 */
export type ChatStore = {
  /** Stores a note and fans it out to every replica's subscribers of its room. */
  append(note: NewNote): Promise<StoredNote>;
  /** Notes of `room` with id > `afterId`, oldest first, at most `limit`. */
  listAfter(room: string, afterId: number, limit: number): Promise<StoredNote[]>;
  /**
   * Registers a listener; it hears every note committed after this resolves. Notes committed
   * before are visible to a `listAfter` started after it, so subscribe-then-replay has no gap.
   */
  subscribe(room: string, listener: (event: SubscriptionEvent) => void): Promise<Unsubscribe>;
  findAccount(username: string): Promise<Account | undefined>;
  /** Creates the account or replaces its password hash. */
  putAccount(account: Account): Promise<void>;
  /** Whether the store can serve now (health). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
};

/** The store cannot be reached; callers map this to UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
