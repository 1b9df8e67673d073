import pg from "pg";
import type { Logger } from "../log/logger.ts";
import {
  type Account,
  type ChatStore,
  type SessionRotation,
  type StoredNote,
  StoreUnavailableError,
} from "./chat-store.ts";
import { startFanout } from "./postgres-fanout.ts";
import { migrate } from "./postgres-schema.ts";
import { batchRevocationChecks } from "./revocation-batches.ts";

type NoteRow = { id: string; room: string; author: string; text: string; sent_at: Date };

// bigserial arrives as a string; ids stay far below 2^53, which the contract's number type needs.
const toNote = (row: NoteRow): StoredNote => ({
  id: Number(row.id),
  room: row.room,
  author: row.author,
  text: row.text,
  sentAt: row.sent_at,
});

/**
 * SQLSTATE classes that mean "the database is not there right now" (connection exception,
 * operator intervention, insufficient resources); errors without a SQLSTATE come from the
 * socket or a timeout. Anything else is a bug and is not dressed up as unavailability.
 * @see https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
function translate(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const sqlstate = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
  if (sqlstate === undefined || /^(08|57|53)/.test(sqlstate)) {
    return new StoreUnavailableError("database unavailable", { cause: error });
  }
  return error;
}

/** Named statements: parsed and planned once per connection instead of on every call. */
const statements = {
  append: "SELECT * FROM chat_append($1, $2, $3)",
  listAfter: "SELECT * FROM chat_notes WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3",
  noteById: "SELECT * FROM chat_notes WHERE id = $1",
  // Every authenticated call runs this: both lookups are by primary key.
  revokedAmong: `SELECT t.jti FROM unnest($1::text[], $2::text[]) AS t(jti, session_id)
    WHERE EXISTS (SELECT 1 FROM chat_revoked_tokens r WHERE r.jti = t.jti)
       OR EXISTS (SELECT 1 FROM chat_sessions s WHERE s.id = t.session_id AND s.ended_at IS NOT NULL)`,
} as const;

/**
 * The production store: notes and accounts in PostgreSQL, fanned out to every replica with
 * LISTEN/NOTIFY. Runs pending migrations before it returns.
 *
 * Two things made the first seconds slow, measured on this machine (README, "Chat fan-out"):
 * - Cold connections. pg's pool opens a connection on first use and closes it after 10 s
 *   idle, so each burst after a lull paid ~4 ms to connect and ~3 ms for a backend's first
 *   `chat_append` (catalog caches, plpgsql compile) against 0.3 ms warm, all at once. The
 *   pools now open every connection before the server listens and keep them.
 * - Replays ahead of writes. A stream that opens or resumes reads its backlog through the
 *   same FIFO pool as SendNote: behind 900 streams resuming at once, one append waited
 *   336 ms. Replays now have a pool of their own, so a reconnect storm never delays a send.
 *
 * The revocation check every authenticated call makes goes out together with the others that
 * arrive while one runs (revocation-batches.ts): a reconnect storm is a few queries, not one
 * per stream in the pool's queue.
 */
export async function createPostgresStore(options: {
  connectionString: string;
  logger: Logger;
  /** Connections for writes, accounts and pings. @default 6 */
  poolSize?: number;
  /** Connections for stream replays (listAfter), apart from writes. @default 4 */
  replayPoolSize?: number;
}): Promise<ChatStore> {
  const { connectionString, logger } = options;
  const openPool = (max: number) => {
    const pool = new pg.Pool({
      connectionString,
      max,
      // Keep connections for the replica's life: see above.
      idleTimeoutMillis: 0,
      connectionTimeoutMillis: 5_000,
      query_timeout: 10_000,
    });
    // An idle pooled connection that dies emits here; without a listener it would crash the process.
    pool.on("error", (error) => logger.warn("postgres.idle.error", { error }));
    return pool;
  };
  const pool = openPool(options.poolSize ?? 6);
  const replays = openPool(options.replayPoolSize ?? 4);
  const queryOn =
    (on: pg.Pool) =>
    async <R extends pg.QueryResultRow>(
      name: keyof typeof statements | undefined,
      text: string,
      values: unknown[] = [],
    ) => {
      try {
        return await on.query<R>(name === undefined ? { text, values } : { name, text, values });
      } catch (error) {
        throw translate(error);
      }
    };
  const query = queryOn(pool);
  const replayQuery = queryOn(replays);
  const closePools = () => Promise.all([pool.end(), replays.end()]);

  try {
    const applied = await migrate(pool);
    if (applied.length > 0) logger.info("postgres.migrated", { versions: applied });
    await Promise.all([
      warm(pool, options.poolSize ?? 6),
      warm(replays, options.replayPoolSize ?? 4),
    ]);
  } catch (error) {
    await closePools();
    throw translate(error);
  }

  // Every authenticated call asks this; concurrent asks share one query (see the batcher).
  const revokedAmong = batchRevocationChecks(async (tokens) => {
    const result = await query<{ jti: string }>("revokedAmong", statements.revokedAmong, [
      tokens.map((t) => t.jti),
      tokens.map((t) => t.sessionId),
    ]);
    return new Set(result.rows.map((row) => row.jti));
  });

  const fanout = await startFanout({
    connectionString,
    logger,
    fetchNote: async (id) => {
      const result = await replayQuery<NoteRow>("noteById", statements.noteById, [id]);
      return result.rows[0] && toNote(result.rows[0]);
    },
  });

  return {
    async append(note) {
      const result = await query<NoteRow>("append", statements.append, [
        note.room,
        note.author,
        note.text,
      ]);
      const row = result.rows[0];
      if (row === undefined) throw new Error("chat_append returned no row");
      return toNote(row);
    },
    async listAfter(room, afterId, limit) {
      const result = await replayQuery<NoteRow>("listAfter", statements.listAfter, [
        room,
        afterId,
        limit,
      ]);
      return result.rows.map(toNote);
    },
    async subscribe(room, listener) {
      return fanout.subscribe(room, listener);
    },
    async findAccount(username) {
      const result = await query<{ username: string; password_hash: string }>(
        undefined,
        "SELECT username, password_hash FROM chat_accounts WHERE username = $1",
        [username],
      );
      const row = result.rows[0];
      return row && ({ username: row.username, passwordHash: row.password_hash } satisfies Account);
    },
    async putAccount(account) {
      await query(
        undefined,
        `INSERT INTO chat_accounts (username, password_hash) VALUES ($1, $2)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = now()`,
        [account.username, account.passwordHash],
      );
    },
    async createSession(session) {
      await query(undefined, "DELETE FROM chat_sessions WHERE expires_at < now()");
      await query(
        undefined,
        "INSERT INTO chat_sessions (id, username, refresh_hash, expires_at) VALUES ($1, $2, $3, $4)",
        [session.id, session.username, session.refreshHash, session.expiresAt],
      );
    },
    async rotateSession(id, presentedHash, next, now, graceMs): Promise<SessionRotation> {
      // The compare-and-set: only the current hash of a live session is replaced.
      const rotated = await query<{ username: string }>(
        undefined,
        `UPDATE chat_sessions
            SET previous_hash = refresh_hash, refresh_hash = $3, expires_at = $4, rotated_at = $5
          WHERE id = $1 AND refresh_hash = $2 AND ended_at IS NULL AND expires_at > $5
          RETURNING username`,
        [id, presentedHash, next.refreshHash, next.expiresAt, now],
      );
      const username = rotated.rows[0]?.username;
      if (username !== undefined) return { kind: "rotated", username };
      // Not current. The token it replaced, within the grace after that refresh, is a second
      // tab's spend at the same moment; later it is a replay: end the session. Anything else
      // changes nothing.
      const grace = await query(
        undefined,
        `SELECT 1 FROM chat_sessions
          WHERE id = $1 AND previous_hash = $2 AND ended_at IS NULL
            AND rotated_at > $3::timestamptz - make_interval(secs => $4::double precision / 1000)`,
        [id, presentedHash, now, graceMs],
      );
      if (grace.rowCount === 1) return { kind: "superseded" };
      const ended = await query(
        undefined,
        `UPDATE chat_sessions SET ended_at = $3
          WHERE id = $1 AND previous_hash = $2 AND ended_at IS NULL AND expires_at > $3
          RETURNING id`,
        [id, presentedHash, now],
      );
      return ended.rowCount === 1 ? { kind: "reused" } : { kind: "unknown" };
    },
    async endSession(id, now, refreshHash) {
      await query(
        undefined,
        `UPDATE chat_sessions SET ended_at = $2
          WHERE id = $1 AND ended_at IS NULL AND ($3::text IS NULL OR refresh_hash = $3)`,
        [id, now, refreshHash ?? null],
      );
    },
    async revokeToken(jti, expiresAt) {
      await query(undefined, "DELETE FROM chat_revoked_tokens WHERE expires_at < now()");
      await query(
        undefined,
        "INSERT INTO chat_revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING",
        [jti, expiresAt],
      );
    },
    async revokedAmong(tokens) {
      if (tokens.length === 0) return new Set();
      return revokedAmong(tokens);
    },
    async ping() {
      if (!fanout.listening()) return false;
      return query(undefined, "SELECT 1").then(
        () => true,
        () => false,
      );
    },
    async close() {
      await fanout.close();
      await closePools();
    },
  };
}

/**
 * Opens all `size` connections of a pool at once and prepares the read statements on each,
 * so the first requests find them ready (a statement is prepared per connection).
 */
async function warm(pool: pg.Pool, size: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: size }, () => pool.connect()));
  try {
    await Promise.all(
      clients.map(async (client) => {
        await client.query({ name: "listAfter", text: statements.listAfter, values: ["", 0, 0] });
        await client.query({ name: "noteById", text: statements.noteById, values: [0] });
      }),
    );
  } finally {
    for (const client of clients) client.release();
  }
}
