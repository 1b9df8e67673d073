import type { Pool } from "pg";

/** The channel every replica LISTENs on; the payload is a note, or `{id, room}` when too big. */
export const notesChannel = "chat_notes";

// Advisory lock keys (arbitrary, fixed): one serialises migrations across replicas starting
// together, the other serialises appends (see chat_append).
const migrationLock = 7_352_001;
const appendLock = 7_352_002;

/**
 * Forward-only migrations, applied in order inside one transaction under an advisory lock, so
 * replicas that start at once do not race. Never edit an applied entry; append a new one.
 */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "notes and accounts",
    sql: `
      CREATE TABLE chat_notes (
        id bigserial PRIMARY KEY,
        room text NOT NULL,
        author text NOT NULL,
        text text NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT clock_timestamp()
      );
      CREATE INDEX chat_notes_room_id ON chat_notes (room, id);
      CREATE TABLE chat_accounts (
        username text PRIMARY KEY,
        password_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      -- Appends take a transaction-scoped lock before nextval, so ids are assigned and committed
      -- in the same order. Without it, id 6 could commit before id 5, a reader could see 6 and
      -- resume after it, and 5 would be lost to that reader. NOTIFY is delivered at commit, in
      -- commit order, so every replica hears notes in id order too. The payload limit is 8000
      -- bytes: a big note sends only its id and listeners read it from the table.
      CREATE FUNCTION chat_append(p_room text, p_author text, p_text text)
      RETURNS chat_notes LANGUAGE plpgsql AS $$
      DECLARE
        note chat_notes;
        payload text;
      BEGIN
        PERFORM pg_advisory_xact_lock(${appendLock});
        INSERT INTO chat_notes (room, author, text) VALUES (p_room, p_author, p_text)
          RETURNING * INTO note;
        payload := json_build_object('id', note.id, 'room', note.room, 'author', note.author,
          'text', note.text, 'sent_at', note.sent_at)::text;
        IF octet_length(payload) > 7900 THEN
          payload := json_build_object('id', note.id, 'room', note.room)::text;
        END IF;
        PERFORM pg_notify('${notesChannel}', payload);
        RETURN note;
      END $$;
    `,
  },
  {
    version: 2,
    name: "sessions and revoked tokens",
    sql: `
      -- One row per login: the refresh token family. The current token's hash, so spending it
      -- is a compare-and-set on one row, atomic across replicas; and the one it replaced, whose
      -- return is a replay. (Any other hash ends nothing: the session id alone is no secret.)
      CREATE TABLE chat_sessions (
        id text PRIMARY KEY,
        username text NOT NULL,
        refresh_hash text NOT NULL,
        previous_hash text,
        expires_at timestamptz NOT NULL,
        ended_at timestamptz
      );
      CREATE INDEX chat_sessions_expires_at ON chat_sessions (expires_at);
      -- Access tokens revoked before their expiry; a row is useless (and deleted) after it.
      CREATE TABLE chat_revoked_tokens (
        jti text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      );
      CREATE INDEX chat_revoked_tokens_expires_at ON chat_revoked_tokens (expires_at);
    `,
  },
  {
    version: 3,
    name: "when a session was last refreshed",
    sql: `
      -- A second spend of the previous token soon after is a second tab's race, not a replay.
      ALTER TABLE chat_sessions ADD COLUMN rotated_at timestamptz;
    `,
  },
];

/** Applies pending migrations; returns the versions it applied. */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [migrationLock]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS chat_schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = await client.query<{ version: number }>(
      "SELECT version FROM chat_schema_migrations",
    );
    const applied = new Set(done.rows.map((row) => row.version));
    const pending = migrations.filter((migration) => !applied.has(migration.version));
    for (const migration of pending) {
      await client.query(migration.sql);
      await client.query("INSERT INTO chat_schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
    }
    await client.query("COMMIT");
    return pending.map((migration) => migration.version);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
