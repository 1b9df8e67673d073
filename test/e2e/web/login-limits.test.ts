import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatServer } from "../../../grpc-app/src/server/chat-server.ts";
import type { ChatGateway } from "../../../grpc-app/src/web/chat-gateway.ts";
import type { WebServer } from "../../../grpc-app/src/web/web-server.ts";
import { type Account, startChat, startWeb } from "./chat-fixture.ts";
import { PageClient } from "./http-client.ts";

// The web client behind the ALB (one trusted hop) in front of the real chat server, which
// trusts the web client as its one hop: the browser's address travels through both.
describe("web login limits", () => {
  let chat: ChatServer;
  let web: WebServer;
  let gateway: ChatGateway;
  let alice: Account;
  let bob: Account;

  beforeAll(async () => {
    const started = await startChat(["alice", "bob"], {
      TRUSTED_PROXY_HOPS: "1",
      LOGIN_FAILURES_PER_USER_ADDRESS: "3",
      LOGIN_HASH_CONCURRENCY: "1",
      LOGIN_HASH_QUEUE: "0",
    });
    chat = started.chat;
    [alice, bob] = started.accounts as [Account, Account];
    ({ web, gateway } = await startWeb(chat.address, { WEB_TRUSTED_PROXY_HOPS: "1" }));
  });
  afterAll(async () => {
    await web?.close();
    gateway?.close();
    await chat?.shutdown(1_000);
  });

  it("answers 429 with Retry-After once one address has guessed too often, whatever it forges, and still signs in the owner from elsewhere", async () => {
    // Prepare: the ALB appends 203.0.113.7; the left entries are the guesser's own inventions
    const guesser = new PageClient(web.url);
    const from = (i: number) => ({ "x-forwarded-for": `10.0.0.${i}, 203.0.113.7` });
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const post = await guesser.post(
        "/api/login",
        { username: "alice", password: `guess-${i}` },
        from(i),
      );
      statuses.push(post.status);
    }
    const refused = await guesser.post("/api/login", alice, from(99));
    const owner = new PageClient(web.url);
    const fromHome = await owner.post("/api/login", alice, { "x-forwarded-for": "198.51.100.20" });
    // Assess
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ code: "rate-limited" });
    expect(refused.json.error).toMatch(
      /^Too many sign-in attempts\. Try again in \d+ (seconds|minutes)\.$/,
    );
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(fromHome.status).toBe(200);
  });

  it("answers 503 with Retry-After when the chat server has no hashing slot free", async () => {
    // Act: with one slot and no queue, logins at once beyond the first are refused
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        new PageClient(web.url).post("/api/login", bob, { "x-forwarded-for": `192.0.2.${i + 1}` }),
      ),
    );
    // Assess
    const statuses = answers.map((answer) => answer.status).sort();
    const busy = answers.filter((answer) => answer.status === 503);
    expect(statuses[0]).toBe(200);
    expect(busy.length).toBeGreaterThanOrEqual(1);
    expect(new Set(statuses)).toEqual(new Set([200, 503]));
    expect(busy.map((answer) => answer.headers.get("retry-after"))).toEqual(busy.map(() => "1"));
    expect(busy[0]?.json).toMatchObject({ code: "unavailable" });
  });
});
