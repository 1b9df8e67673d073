import { describe, expect, it } from "vitest";
import { hashPassword, isPasswordHash, verifyPassword } from "./password-hash.ts";

describe("password hashes", () => {
  it("verifies the password it was made from and no other", async () => {
    const stored = await hashPassword("correct horse");

    expect(await verifyPassword("correct horse", stored)).toBe(true);
    expect(await verifyPassword("correct horsE", stored)).toBe(false);
  });

  it("salts every hash, so equal passwords store differently", async () => {
    const [first, second] = await Promise.all([hashPassword("same"), hashPassword("same")]);

    expect(first).not.toBe(second);
    expect(isPasswordHash(first)).toBe(true);
    expect(first).not.toContain("same");
  });

  it("refuses a malformed stored hash instead of throwing", async () => {
    expect(await verifyPassword("x", "plain-text-password")).toBe(false);
  });
});
