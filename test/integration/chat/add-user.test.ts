import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../../grpc-app/src/auth/password-hash.ts";
import { loadConfig } from "../../../grpc-app/src/config.ts";
import { addUser } from "./server-process.ts";

describe("user:add without a database", () => {
  it("prints a SEED_USERS entry whose hash verifies the password and never shows it", async () => {
    const password = "a long enough passphrase";

    const result = await addUser("alice", password, {});

    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(password);
    const [account] = loadConfig({ SEED_USERS: result.stdout.trim() }).SEED_USERS;
    expect(account?.username).toBe("alice");
    expect(await verifyPassword(password, account?.passwordHash ?? "")).toBe(true);
  });

  it("refuses a short password with exit code 2", async () => {
    const result = await addUser("alice", "short", {});

    expect(result.code).toBe(2);
    expect(result.stderr).toContain("at least 8 characters");
  });
});
