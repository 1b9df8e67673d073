import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const hash = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5";

describe("loadConfig", () => {
  it("gives the embedded defaults for an empty environment", () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      GRPC_ADDRESS: "127.0.0.1:50051",
      MAX_TEXT_BYTES: 4096,
      SEED_USERS: [],
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("limits logins and token lifetimes by default, hashing one password per CPU and trusting no x-forwarded-for", () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      LOGIN_WINDOW_SECONDS: 900,
      LOGIN_FAILURES_PER_USER_ADDRESS: 5,
      LOGIN_FAILURES_PER_USER: 20,
      LOGIN_ATTEMPTS_PER_USER: 60,
      LOGIN_ATTEMPTS_PER_ADDRESS: 100,
      LOGIN_HASH_QUEUE: 16,
      LOGIN_HASH_PER_ADDRESS_OR_USER: 2,
      TRUSTED_PROXY_HOPS: 0,
      TOKEN_TTL_SECONDS: 900,
      REFRESH_TTL_SECONDS: 604_800,
      REFRESH_REUSE_GRACE_MS: 10_000,
      REVOCATION_CHECK_MS: 5_000,
    });
    expect(config.LOGIN_HASH_CONCURRENCY).toBe(availableParallelism());
    expect(() => loadConfig({ TRUSTED_PROXY_HOPS: "-1" })).toThrow(/TRUSTED_PROXY_HOPS/);
  });

  it("refuses a refresh lifetime no longer than the access token's", () => {
    const parse = () => loadConfig({ TOKEN_TTL_SECONDS: "600", REFRESH_TTL_SECONDS: "600" });

    expect(parse).toThrow(/REFRESH_TTL_SECONDS: must be longer than TOKEN_TTL_SECONDS/);
  });

  it("names every bad variable in one error", () => {
    const parse = () => loadConfig({ MAX_TEXT_BYTES: "lots", GRPC_ADDRESS: "nowhere" });

    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(/MAX_TEXT_BYTES/);
    expect(parse).toThrow(/GRPC_ADDRESS: expected host:port/);
  });

  it("requires TOKEN_SECRET with DATABASE_URL, so replicas share one signing key", () => {
    const parse = () => loadConfig({ DATABASE_URL: "postgres://chat@db:5432/chat" });

    expect(parse).toThrow(/TOKEN_SECRET: is required with DATABASE_URL/);
  });

  it("refuses a database URL of another scheme", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://db/chat" })).toThrow(/DATABASE_URL/);
  });

  it("parses SEED_USERS of username:hash entries", () => {
    const config = loadConfig({ SEED_USERS: `alice:${hash}, bob:${hash}` });

    expect(config.SEED_USERS).toEqual([
      { username: "alice", passwordHash: hash },
      { username: "bob", passwordHash: hash },
    ]);
  });

  it("refuses a plain-text password in SEED_USERS without echoing it", () => {
    const parse = () => loadConfig({ SEED_USERS: "alice:hunter2" });

    expect(parse).toThrow(/SEED_USERS.*hash must come from `user:add`/);
    expect(parse).not.toThrow(/hunter2/);
  });

  it("treats an empty variable as unset", () => {
    expect(loadConfig({ DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
  });
});
