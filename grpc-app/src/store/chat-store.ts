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
 * A login session: the family of refresh tokens that one login leads to. Only the current
 * token's hash is kept; each refresh replaces it.
 */
export type NewSession = { id: string; username: string; refreshHash: string; expiresAt: Date };

/** What spending a refresh token did. */
export type SessionRotation =
  | { kind: "rotated"; username: string }
  /**
   * The token the current one replaced came back within `graceMs` of that refresh: most
   * likely a second tab that spent it at the same moment. Nothing changes.
   */
  | { kind: "superseded" }
  /** The token the current one replaced came back later: the session ends, with all it issued. */
  | { kind: "reused" }
  /** No such session or token, or the session expired or ended already. */
  | { kind: "unknown" };

/** An access token as revocation knows it. */
export type TokenRef = { jti: string; sessionId: string };

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
  /** Starts a session (a login) and forgets sessions that expired. */
  createSession(session: NewSession): Promise<void>;
  /**
   * Spends refresh token `presentedHash` of session `id` for `nextHash`, atomically across
   * replicas: of two concurrent spends of one token, one rotates and the other is a reuse.
   */
  rotateSession(
    id: string,
    presentedHash: string,
    next: { refreshHash: string; expiresAt: Date },
    now: Date,
    graceMs: number,
  ): Promise<SessionRotation>;
  /**
   * Ends session `id` (logout), or only while `refreshHash` is its current token when given.
   * Its access tokens are refused from then on.
   */
  endSession(id: string, now: Date, refreshHash?: string): Promise<void>;
  /** Refuses access token `jti` from now until `expiresAt`, after which it is forgotten. */
  revokeToken(jti: string, expiresAt: Date): Promise<void>;
  /** The jtis among `tokens` that were revoked or whose session ended. */
  revokedAmong(tokens: readonly TokenRef[]): Promise<Set<string>>;
  /** Whether the store can serve now (health). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
};

/** The store cannot be reached; callers map this to UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
}
