import { loadavg } from "node:os";
import { type ServiceError, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { percentile } from "../../bench/report.ts";
import { createMemoryStore } from "../../grpc-app/src/store/memory-store.ts";
import {
  forwardedFor,
  login,
  startTestServer,
  type TestServer,
} from "../integration/chat/chat-fixture.ts";
import { drillSeed, formName, longForm, recordDrill, seededRandom } from "./support/drill-form.ts";

// Guesses at the real chat server with the production limits (their defaults) behind one
// trusted proxy, as in the cluster, while legitimate users sign in from their own addresses.
const guesses = longForm ? 6_000 : 800;
const legitimate = longForm ? 60 : 12;
const concurrency = 32;
const hashConcurrency = 2;
// Members arrive at 10 logins/s, within what 2 slots hash (~68 ms each) beside the attack.
const memberSpacingMs = 100;

type Attack = "one address" | "spread over addresses" | "stuffing usernames" | "forged chain";
type Attempt = { attack: Attack; username: string; password: string; chain: string[] };

/** One guess of a generated attack: the chain is x-forwarded-for as the ALB passes it on. */
function generate(random: () => number, victim: string, victimPassword: string): Attempt[] {
  const attacks: Attack[] = [
    "one address",
    "spread over addresses",
    "stuffing usernames",
    "forged chain",
  ];
  const make: Record<Attack, (i: number, guess: string) => Attempt> = {
    "one address": (_, guess) => ({
      attack: "one address",
      username: victim,
      password: guess,
      chain: ["203.0.113.7"],
    }),
    // A botnet: each of 250 addresses tries a few times.
    "spread over addresses": (_, guess) => ({
      attack: "spread over addresses",
      username: victim,
      password: guess,
      chain: [`198.51.${Math.floor(random() * 250)}.9`],
    }),
    "stuffing usernames": (i) => ({
      attack: "stuffing usernames",
      username: `user-${i}`,
      password: "Winter2026!",
      chain: ["203.0.113.8"],
    }),
    // Forged left entries, a fresh one per guess; the right-most is the ALB's own.
    "forged chain": (_, guess) => ({
      attack: "forged chain",
      username: victim,
      password: guess,
      chain: [`10.${Math.floor(random() * 255)}.0.1`, "203.0.113.9"],
    }),
  };
  const attempts = Array.from({ length: guesses }, (_, i) =>
    make[attacks[i % attacks.length] as Attack](i, `guess-${Math.floor(random() * 1e9)}`),
  );
  // The real password is in the single-address list, late: without limits it would be found.
  attempts.splice(Math.floor(guesses / 2), 0, {
    attack: "one address",
    username: victim,
    password: victimPassword,
    chain: ["203.0.113.7"],
  });
  return attempts;
}

async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>) {
  const results: R[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const index = next;
        next += 1;
        results[index] = await run(items[index] as T);
      }
    }),
  );
  return results;
}

describe(`login brute-force drill (${formName} form)`, () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(createMemoryStore(), {
      TRUSTED_PROXY_HOPS: "1",
      LOGIN_HASH_CONCURRENCY: String(hashConcurrency),
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("finds no password, hashes only what the limits allow, and signs in every legitimate user", async () => {
    // Prepare
    const seed = drillSeed();
    const random = seededRandom(seed);
    const victim = await t.signIn("alice");
    // One after another: they share 127.0.0.1, which may hold only 2 hashing slots at once.
    const users = [];
    for (let i = 0; i < legitimate; i += 1) users.push(await t.signIn(`member-${i}`));
    const attempts = generate(random, victim.username, victim.password);
    const hashedBefore = t.server.loginHashing().total;
    // How many members must retry depends on the machine's load: it slows every scrypt.
    const loadAverage = loadavg()[0] ?? 0;
    // Act: the attack, with legitimate logins spread through it
    const started = performance.now();
    const legit = users.map(async (user, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * memberSpacingMs));
      // A client that retries after a refusal, as a person would after the page's message.
      let first: string | undefined;
      for (let tries = 1; ; tries += 1) {
        const outcome = await login(
          t.auth,
          user.username,
          user.password,
          forwardedFor(`192.0.2.${i + 1}`),
        )
          .then(() => "signed in" as const)
          .catch((error: ServiceError) => error);
        if (outcome === "signed in" || tries >= 5) return { outcome, tries, first };
        first ??= `${status[outcome.code]}: ${outcome.details}`;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    });
    const answers = await inBatches(attempts, concurrency, async (attempt) => {
      const at = performance.now();
      const code = await login(
        t.auth,
        attempt.username,
        attempt.password,
        forwardedFor(...attempt.chain),
      )
        .then(() => status.OK)
        .catch((error: ServiceError) => error.code);
      return { attempt, code, ms: performance.now() - at };
    });
    const members = await Promise.all(legit);
    const tookS = (performance.now() - started) / 1000;
    const hashing = t.server.loginHashing();
    // Assess
    const by = (attack: Attack, code: status) =>
      answers.filter((a) => a.attempt.attack === attack && a.code === code).length;
    const found = answers.filter((a) => a.code === status.OK).length;
    const refused = answers.filter((a) => a.code === status.RESOURCE_EXHAUSTED);
    const checked = answers.filter((a) => a.code === status.UNAUTHENTICATED);
    const signedIn = members.filter((m) => m.outcome === "signed in").length;
    const retried = members.filter((m) => m.tries > 1).length;
    const firstRefusals = [...new Set(members.flatMap((m) => (m.first ? [m.first] : [])))];
    const hashed = hashing.total - hashedBefore;
    recordDrill(
      "login-brute-force",
      {
        id: "drill-login-brute-force",
        title: `Login brute-force drill (${formName} form)`,
        loadAverage,
        method:
          `${attempts.length} guesses, ${concurrency} at a time, at the real chat server (in-process, ` +
          `memory store) with the default limits (per 15 min: 5 failures per user and address, 20 per ` +
          `user, 60 attempts per user, 100 per address), TRUSTED_PROXY_HOPS=1 and ${hashConcurrency} ` +
          `hashing slots: one address at one account (the real password among its guesses), a ` +
          `250-address spread at it, one address stuffing ${guesses / 4} usernames, and forged ` +
          `x-forwarded-for chains; meanwhile ${legitimate} members sign in from their own addresses, ` +
          `one every ${memberSpacingMs} ms, retrying after a refusal. Seed ${seed}.`,
        rows: [
          { name: "guesses", unit: "logins", median: attempts.length },
          { name: "passwords found", unit: "logins", median: found },
          { name: "checked (wrong password)", unit: "logins", median: checked.length },
          { name: "refused RESOURCE_EXHAUSTED", unit: "logins", median: refused.length },
          {
            name: "refusal latency",
            unit: "ms",
            median: percentile(
              refused.map((a) => a.ms),
              50,
            ),
            p99: percentile(
              refused.map((a) => a.ms),
              99,
            ),
            note: "no scrypt; includes waiting behind the other callers",
          },
          {
            name: "checked: one address",
            unit: "logins",
            median: by("one address", status.UNAUTHENTICATED),
          },
          {
            name: "checked: spread",
            unit: "logins",
            median: by("spread over addresses", status.UNAUTHENTICATED),
          },
          {
            name: "checked: stuffing",
            unit: "logins",
            median: by("stuffing usernames", status.UNAUTHENTICATED),
          },
          {
            name: "checked: forged chain",
            unit: "logins",
            median: by("forged chain", status.UNAUTHENTICATED),
          },
          { name: "scrypt hashes", unit: "hashes", median: hashed, note: "attack and members" },
          {
            name: "peak hashes at once",
            unit: "hashes",
            median: hashing.peak,
            note: `cap ${hashConcurrency}`,
          },
          { name: "members signed in", unit: "users", median: signedIn, note: `of ${legitimate}` },
          {
            name: "members who had to retry",
            unit: "users",
            median: retried,
            note: `first refused with ${firstRefusals.join(", ") || "nothing"}; signed in on a retry`,
          },
          { name: "duration", unit: "s", median: tookS },
        ],
      },
      `${attempts.length} guesses: ${found} found, ${checked.length} checked, ${refused.length} refused; ` +
        `${hashed} hashes (peak ${hashing.peak}); ${signedIn}/${legitimate} members signed in (${retried} retried${retried > 0 ? ` after ${firstRefusals.join(", ")}` : ""})`,
    );
    expect(found).toBe(0);
    expect(
      answers.every((a) => [status.UNAUTHENTICATED, status.RESOURCE_EXHAUSTED].includes(a.code)),
    ).toBe(true);
    // The victim's failures from anywhere are capped at 20 per window (one address: 5).
    expect(by("one address", status.UNAUTHENTICATED)).toBeLessThanOrEqual(5);
    expect(
      by("one address", status.UNAUTHENTICATED) +
        by("spread over addresses", status.UNAUTHENTICATED) +
        by("forged chain", status.UNAUTHENTICATED),
    ).toBeLessThanOrEqual(20);
    expect(by("stuffing usernames", status.UNAUTHENTICATED)).toBeLessThanOrEqual(100);
    expect(hashing.peak).toBeLessThanOrEqual(hashConcurrency);
    expect(signedIn).toBe(legitimate);
  });
});
