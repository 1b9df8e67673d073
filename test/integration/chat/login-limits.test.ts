import { type ServiceError, status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../grpc-app/src/store/memory-store.ts";
import { forwardedFor, login, startTestServer, type TestServer } from "./chat-fixture.ts";

// The real chat server on loopback: every client here is 127.0.0.1, so "addresses" are what
// the ALB would append to x-forwarded-for (TRUSTED_PROXY_HOPS=1) unless a test says otherwise.
const attacker = "203.0.113.7";
const owner = "198.51.100.20";
const windowSeconds = 600;

/** The error a call ended with; a call that succeeds fails the test. */
const refusal = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected the login to be refused");
    },
    (error: ServiceError) => error,
  );

/** Every outcome of `attempts`, by gRPC status name, and the retry hints of the refusals. */
async function tally(attempts: Promise<unknown>[]) {
  const settled = await Promise.allSettled(attempts);
  const counts: Record<string, number> = {};
  const retryAfter: number[] = [];
  for (const result of settled) {
    const code =
      result.status === "fulfilled" ? "OK" : status[(result.reason as ServiceError).code];
    counts[code] = (counts[code] ?? 0) + 1;
    if (result.status === "rejected") {
      const hint = (result.reason as ServiceError).metadata?.get("retry-after")[0];
      if (hint !== undefined) retryAfter.push(Number(hint));
    }
  }
  return { counts, retryAfter };
}

describe("login limits on the real chat server", () => {
  let t: TestServer | undefined;
  let clock = Date.parse("2026-12-01T12:00:00Z");
  const start = async (env: Record<string, string>) => {
    t = await startTestServer(
      createMemoryStore(),
      { LOGIN_WINDOW_SECONDS: String(windowSeconds), TRUSTED_PROXY_HOPS: "1", ...env },
      { now: () => clock },
    );
    return t;
  };
  afterEach(async () => {
    await t?.stop();
    t = undefined;
  });

  it("refuses a brute force from one address after 5 guesses, without hashing, while the owner still logs in from another", async () => {
    // Prepare
    const server = await start({ LOGIN_FAILURES_PER_USER_ADDRESS: "5" });
    const { username, password } = await server.signIn();
    const guesses = Array.from({ length: 30 }, (_, i) => `guess-${i}`);
    // Act: sequential, as a careful guesser would, so each sees the previous one counted
    const outcomes: string[] = [];
    const refusals: ServiceError[] = [];
    const hashedBefore = server.server.loginHashing().total;
    for (const guess of guesses) {
      const error = await login(server.auth, username, guess, forwardedFor("10.9.9.9", attacker))
        .then(() => undefined)
        .catch((e: ServiceError) => e);
      outcomes.push(String(status[error?.code ?? 0]));
      if (error?.code === status.RESOURCE_EXHAUSTED) refusals.push(error);
    }
    const hashed = server.server.loginHashing().total - hashedBefore;
    const rightPasswordFromAttacker = await refusal(
      login(server.auth, username, password, forwardedFor(attacker)),
    );
    const fromOwner = await login(server.auth, username, password, forwardedFor(owner));
    // Assess
    console.info(
      `login brute force: ${guesses.length} guesses from one address, ` +
        `${guesses.length - refusals.length} checked, ${refusals.length} refused`,
    );
    expect(outcomes.slice(0, 5)).toEqual(Array(5).fill("UNAUTHENTICATED"));
    expect(outcomes.slice(5)).toEqual(Array(25).fill("RESOURCE_EXHAUSTED"));
    // A refusal costs no scrypt (~68 ms of a core): only the 5 admitted guesses were hashed.
    expect(hashed).toBe(5);
    expect(refusals[0]?.details).toMatch(/too many login attempts; retry in \d+ s/);
    // One guess comes back per window/5: 120 s.
    expect(refusals[0]?.metadata.get("retry-after")).toEqual(["120"]);
    expect(refusals[0]?.metadata.get("slipway-refusal")).toEqual(["rate-limited"]);
    expect(rightPasswordFromAttacker).toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    expect(fromOwner.token.length).toBeGreaterThan(20);
  });

  it("lets a refused address guess again once the window has refilled, as the retry hint says", async () => {
    // Prepare
    const server = await start({ LOGIN_FAILURES_PER_USER_ADDRESS: "3" });
    const { username } = await server.signIn();
    const guess = () => login(server.auth, username, "wrong", forwardedFor(attacker));
    for (let i = 0; i < 3; i += 1) await expect(guess()).rejects.toMatchObject({ code: 16 });
    const refused = await refusal(guess());
    const hint = Number(refused.metadata.get("retry-after")[0]);
    // Act
    clock += (hint - 1) * 1000;
    const early = guess();
    await expect(early).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
    clock += 1000;
    const afterHint = await refusal(guess());
    const tooSoon = await refusal(guess());
    clock += windowSeconds * 1000;
    const afterWindow: string[] = [];
    for (let i = 0; i < 4; i += 1) afterWindow.push(status[(await refusal(guess())).code] ?? "");
    // Assess
    expect(refused.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(hint).toBe(windowSeconds / 3);
    expect(afterHint.code).toBe(status.UNAUTHENTICATED);
    expect(tooSoon.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(afterWindow).toEqual([
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "UNAUTHENTICATED",
      "RESOURCE_EXHAUSTED",
    ]);
  });

  it("counts a guesser that rotates x-forwarded-for by its connection when no proxy is trusted", async () => {
    // Prepare
    const server = await start({ TRUSTED_PROXY_HOPS: "0", LOGIN_FAILURES_PER_USER_ADDRESS: "4" });
    const { username } = await server.signIn();
    // Act
    const outcomes = [];
    for (let i = 0; i < 8; i += 1) {
      const forged = forwardedFor(`192.0.2.${i + 1}`);
      outcomes.push(await login(server.auth, username, "wrong", forged).catch((e) => e.code));
    }
    // Assess
    expect(outcomes).toEqual([16, 16, 16, 16, 8, 8, 8, 8]);
  });

  it("limits one address across usernames (credential stuffing), not other addresses", async () => {
    // Prepare
    const server = await start({
      LOGIN_ATTEMPTS_PER_ADDRESS: "10",
      LOGIN_HASH_PER_ADDRESS_OR_USER: "100",
    });
    const bob = await server.signIn();
    // Act
    const stuffing = await tally(
      Array.from({ length: 16 }, (_, i) =>
        login(server.auth, `victim-${i}`, "Summer2026!", forwardedFor(attacker)),
      ),
    );
    const bobElsewhere = await login(server.auth, bob.username, bob.password, forwardedFor(owner));
    // Assess
    expect(stuffing.counts).toEqual({ UNAUTHENTICATED: 10, RESOURCE_EXHAUSTED: 6 });
    expect(bobElsewhere.token.length).toBeGreaterThan(20);
  });

  it("limits guesses at one username spread over many addresses, and the owner's logins too", async () => {
    // Prepare
    const server = await start({
      LOGIN_FAILURES_PER_USER: "6",
      LOGIN_ATTEMPTS_PER_USER: "50",
      LOGIN_HASH_PER_ADDRESS_OR_USER: "100",
    });
    const { username, password } = await server.signIn();
    // Act
    const spread = await tally(
      Array.from({ length: 10 }, (_, i) =>
        login(server.auth, username, `guess-${i}`, forwardedFor(`192.0.2.${i + 1}`)),
      ),
    );
    const owners = login(server.auth, username, password, forwardedFor(owner));
    // Assess: even at once only 6 are checked (each admitted guess counts as a failure until
    // it is checked); after them the account is closed to everyone until it refills, the price
    // of a spread attack, bounded by the window.
    expect(spread.counts).toEqual({ UNAUTHENTICATED: 6, RESOURCE_EXHAUSTED: 4 });
    await expect(owners).rejects.toMatchObject({ code: status.RESOURCE_EXHAUSTED });
  });

  it("never checks more passwords at once than LOGIN_HASH_CONCURRENCY, and refuses past the queue at once", async () => {
    // Prepare
    const server = await start({
      LOGIN_HASH_CONCURRENCY: "2",
      LOGIN_HASH_QUEUE: "3",
      LOGIN_HASH_PER_ADDRESS_OR_USER: "100",
      LOGIN_ATTEMPTS_PER_ADDRESS: "1000",
      LOGIN_ATTEMPTS_PER_USER: "1000",
    });
    const { username, password } = await server.signIn();
    const started = performance.now();
    // Act: 24 at once, each from its own address so that only the hashing cap can refuse
    const burst = await tally(
      Array.from({ length: 24 }, (_, i) =>
        login(server.auth, username, password, forwardedFor(`192.0.2.${i + 1}`)),
      ),
    );
    const tookMs = performance.now() - started;
    const hashing = server.server.loginHashing();
    const busyLogs = server.logs.entries.filter((e) => e.event === "login.busy");
    // Assess
    console.info(
      `login hashing: 24 at once, cap 2, queue 3: peak ${hashing.peak}, ` +
        `${burst.counts.OK ?? 0} signed in, ${burst.counts.RESOURCE_EXHAUSTED ?? 0} refused busy, ${Math.round(tookMs)} ms`,
    );
    expect(hashing.peak).toBe(2);
    expect(hashing.active).toBe(0);
    expect((burst.counts.OK ?? 0) + (burst.counts.RESOURCE_EXHAUSTED ?? 0)).toBe(24);
    expect(burst.counts.OK).toBeGreaterThanOrEqual(5);
    expect(burst.counts.RESOURCE_EXHAUSTED).toBeGreaterThanOrEqual(1);
    expect(busyLogs.length).toBe(burst.counts.RESOURCE_EXHAUSTED);
    expect(new Set(burst.retryAfter)).toEqual(new Set([1]));
  });

  it("lets one address, or one username, hold only LOGIN_HASH_PER_ADDRESS_OR_USER hashing slots, so a burst cannot crowd others out", async () => {
    // Prepare
    const server = await start({
      LOGIN_HASH_CONCURRENCY: "2",
      LOGIN_HASH_QUEUE: "16",
      LOGIN_HASH_PER_ADDRESS_OR_USER: "2",
      LOGIN_ATTEMPTS_PER_ADDRESS: "1000",
    });
    const member = await server.signIn();
    const victim = await server.signIn();
    // Act: 20 stuffing guesses at once from one address, and a member from another
    const stuffing = Array.from({ length: 20 }, (_, i) =>
      login(server.auth, `victim-${i}`, "Winter2026!", forwardedFor(attacker)),
    );
    // and 20 guesses at once at another account from a botnet
    const botnet = Array.from({ length: 20 }, (_, i) =>
      login(server.auth, victim.username, `guess-${i}`, forwardedFor(`198.51.100.${i + 1}`)),
    );
    const memberLogin = login(server.auth, member.username, member.password, forwardedFor(owner));
    // Both tallies attach at once: a botnet guess refused while the first was awaited would
    // otherwise be an unhandled rejection.
    const [burst, spread, signedIn] = await Promise.all([
      tally(stuffing),
      tally(botnet),
      memberLogin,
    ]);
    // Assess
    expect(burst.counts).toEqual({ UNAUTHENTICATED: 2, RESOURCE_EXHAUSTED: 18 });
    expect(spread.counts).toEqual({ UNAUTHENTICATED: 2, RESOURCE_EXHAUSTED: 18 });
    expect(signedIn.token.length).toBeGreaterThan(20);
  });
});
