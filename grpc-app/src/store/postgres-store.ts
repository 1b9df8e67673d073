import pg from "pg";
import type { Logger } from "../log/logger.ts";
import {
  type Account,
  type ChatStore,
  type StoredNote,
  StoreUnavailableError,
} from "./chat-store.ts";
import { startFanout } from "./postgres-fanout.ts";
import { migrate } from "./postgres-schema.ts";

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

/**
 * The production store: notes and accounts in PostgreSQL, fanned out to every replica with
 * LISTEN/NOTIFY. Runs pending migrations before it returns.
 */
export async function createPostgresStore(options: {
  connectionString: string;
  logger: Logger;
  poolSize?: number;
}): Promise<ChatStore> {
  const { connectionString, logger } = options;
  const pool = new pg.Pool({
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    query_timeout: 10_000,
  });
  // An idle pooled connection that dies emits here; without a listener it would crash the process.
  pool.on("error", (error) => logger.warn("postgres.idle.error", { error }));
  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) => {
    try {
      return await pool.query<R>(text, values);
    } catch (error) {
      throw translate(error);
    }
  };

  try {
    const applied = await migrate(pool);
    if (applied.length > 0) logger.info("postgres.migrated", { versions: applied });
  } catch (error) {
    await pool.end();
    throw translate(error);
  }

  const fanout = await startFanout({
    connectionString,
    logger,
    fetchNote: async (id) => {
      const result = await query<NoteRow>("SELECT * FROM chat_notes WHERE id = $1", [id]);
      return result.rows[0] && toNote(result.rows[0]);
    },
  });

  return {
    async append(note) {
      const result = await query<NoteRow>("SELECT * FROM chat_append($1, $2, $3)", [
        note.room,
        note.author,
        note.text,
      ]);
      const row = result.rows[0];
      if (row === undefined) throw new Error("chat_append returned no row");
      return toNote(row);
    },
    async listAfter(room, afterId, limit) {
      const result = await query<NoteRow>(
        "SELECT * FROM chat_notes WHERE room = $1 AND id > $2 ORDER BY id LIMIT $3",
        [room, afterId, limit],
      );
      return result.rows.map(toNote);
    },
    async subscribe(room, listener) {
      return fanout.subscribe(room, listener);
    },
    async findAccount(username) {
      const result = await query<{ username: string; password_hash: string }>(
        "SELECT username, password_hash FROM chat_accounts WHERE username = $1",
        [username],
      );
      const row = result.rows[0];
      return row && ({ username: row.username, passwordHash: row.password_hash } satisfies Account);
    },
    async putAccount(account) {
      await query(
        `INSERT INTO chat_accounts (username, password_hash) VALUES ($1, $2)
         ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = now()`,
        [account.username, account.passwordHash],
      );
    },
    async ping() {
      if (!fanout.listening()) return false;
      return query("SELECT 1").then(
        () => true,
        () => false,
      );
    },
    async close() {
      await fanout.close();
      await pool.end();
    },
  };
}
