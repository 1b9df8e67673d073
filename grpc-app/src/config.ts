import { availableParallelism } from "node:os";
import { z } from "zod";
import { isPasswordHash } from "./auth/password-hash.ts";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const SeedUsers = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((entry) => entry.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(
      z
        .string()
        .transform((entry) => {
          const colon = entry.indexOf(":");
          return { username: entry.slice(0, colon), passwordHash: entry.slice(colon + 1) };
        })
        .refine((account) => /^[\w.@-]{1,64}$/.test(account.username), {
          message:
            "each entry must be username:hash with a username of 1-64 of A-Z a-z 0-9 _ . @ -",
        })
        .refine((account) => isPasswordHash(account.passwordHash), {
          message: "each entry's hash must come from `user:add` (scrypt$N$r$p$salt$key)",
        }),
    ),
  );

/**
 * The chat server's settings, all from the environment so one image runs in every stage.
 * @example GRPC_ADDRESS=0.0.0.0:50051 DATABASE_URL=postgres://chat@db/chat TOKEN_SECRET=…
 */
export const Config = z
  .object({
    /** host:port to bind; port 0 picks a free one (tests). */
    GRPC_ADDRESS: z
      .string()
      .regex(/^[^\s:]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/, "expected host:port")
      .default("127.0.0.1:50051"),
    /** PostgreSQL for production and many replicas; absent means the in-memory store. */
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: "expected a postgres:// URL" })
      .optional(),
    /**
     * HS256 key that signs login tokens. Every replica must share it, so it is required with
     * DATABASE_URL; a single embedded process generates one per start.
     */
    TOKEN_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    /**
     * Access token lifetime. Short, because a stolen one works until it expires or is revoked
     * (every call asks the store); clients renew it with RefreshSession.
     */
    TOKEN_TTL_SECONDS: positiveInt(900),
    /** How long a session's refresh token may wait to be spent; each refresh starts it again. */
    REFRESH_TTL_SECONDS: positiveInt(7 * 24 * 3600),
    /**
     * A refresh token spent again this soon after it was renewed is taken for a second tab
     * spending it at the same moment (refused with ABORTED, the session kept); later it is a
     * replay and ends the session. 0 makes every second spend a replay.
     */
    REFRESH_REUSE_GRACE_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
    /** How often open streams re-check their token, so a revoked one ends within this. */
    REVOCATION_CHECK_MS: positiveInt(5_000),
    /** Largest note text in UTF-8 bytes; bigger gets INVALID_ARGUMENT. */
    MAX_TEXT_BYTES: positiveInt(4096),
    /** Notes queued for one slow subscriber before its stream ends with RESOURCE_EXHAUSTED. */
    SUBSCRIBER_BUFFER: positiveInt(256),
    /** Concurrent ChatStream calls per replica; more get RESOURCE_EXHAUSTED. */
    MAX_STREAMS: positiveInt(1000),
    /** Concurrent ChatStream calls of one user per replica (a few tabs and devices). */
    MAX_STREAMS_PER_USER: positiveInt(20),
    /**
     * Login limits (token buckets per replica, refilled evenly over LOGIN_WINDOW_SECONDS): a
     * refused login gets RESOURCE_EXHAUSTED with `retry-after` (seconds) in its trailers.
     */
    LOGIN_WINDOW_SECONDS: positiveInt(900),
    /** Wrong passwords for one username from one client address, per window. */
    LOGIN_FAILURES_PER_USER_ADDRESS: positiveInt(5),
    /** Wrong passwords for one username from any address, per window. */
    LOGIN_FAILURES_PER_USER: positiveInt(20),
    /** Logins for one username, right or wrong, per window. */
    LOGIN_ATTEMPTS_PER_USER: positiveInt(60),
    /** Logins from one client address, for any username, per window. */
    LOGIN_ATTEMPTS_PER_ADDRESS: positiveInt(100),
    /** Password hashes checked at once: one per CPU this process sees. */
    LOGIN_HASH_CONCURRENCY: z.coerce
      .number()
      .int()
      .positive()
      .default(() => availableParallelism()),
    /** Logins that may wait for a hashing slot; more are refused at once. */
    LOGIN_HASH_QUEUE: z.coerce.number().int().nonnegative().default(16),
    /** Hashing slots (running or waiting) one client address, or one username, may hold. */
    LOGIN_HASH_PER_ADDRESS_OR_USER: positiveInt(2),
    /**
     * Proxies in front of this server that append to x-forwarded-for (the ALB, or the web
     * client): 1 in the cluster. 0 counts logins by the connection's peer and ignores the
     * header, which any client can write.
     */
    TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
    /** How long SIGTERM waits for calls to finish before it cuts them. */
    SHUTDOWN_GRACE_MS: positiveInt(10_000),
    /** How often the database is pinged to keep health truthful. */
    HEALTH_CHECK_INTERVAL_MS: positiveInt(2_000),
    /**
     * Accounts to create (or re-hash) at start: `alice:scrypt$…,bob:scrypt$…`, with hashes from
     * `npm run --workspace grpc-app user:add`. Only hashes: a plain password here is refused.
     */
    SEED_USERS: SeedUsers.default([]),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  })
  .superRefine((config, ctx) => {
    // An ended session's row must outlive every access token it issued.
    if (config.REFRESH_TTL_SECONDS <= config.TOKEN_TTL_SECONDS) {
      ctx.addIssue({
        code: "custom",
        path: ["REFRESH_TTL_SECONDS"],
        message: "must be longer than TOKEN_TTL_SECONDS",
      });
    }
    if (config.DATABASE_URL !== undefined && config.TOKEN_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["TOKEN_SECRET"],
        message: "is required with DATABASE_URL, so that every replica accepts the same tokens",
      });
    }
  });
export type Config = z.infer<typeof Config>;

/** A bad or missing environment variable, named in the message. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly variables: string[];
  constructor(issues: z.core.$ZodIssue[]) {
    const lines = issues.map((issue) => `${issue.path.join(".") || "(env)"}: ${issue.message}`);
    super(`invalid configuration:\n  ${lines.join("\n  ")}`);
    this.variables = issues.map((issue) => issue.path.join("."));
  }
}

/** Parses the environment (or a test's own record) into a Config, or throws a ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "unset", as in most deployment tools' templating.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
  const parsed = Config.safeParse(present);
  if (!parsed.success) throw new ConfigError(parsed.error.issues);
  return parsed.data;
}
